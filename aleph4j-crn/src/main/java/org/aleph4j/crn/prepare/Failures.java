package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.aleph4j.crn.CrnException;

/**
 * Files that failed to unpack, with the failure to repeat, so a stranger's broken archive is not
 * unpacked again on every request; bounded, least recently used out. Only failures caused by the
 * file are remembered (never the node's own: a missing tool, a full disk, an interruption).
 */
final class Failures {
    private final Map<String, CrnException> failures;

    Failures(int remembered) {
        this.failures = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CrnException> eldest) {
                return size() > remembered;
            }
        };
    }

    synchronized void put(String key, CrnException failure) {
        failures.put(key, failure);
    }

    /**
     * The CRN's answer to {@code e}, raised while unpacking the file {@code fileHash} (described as
     * {@code archive}, e.g. "code archive H (zip)") for {@code noun} ("code", "volume"): the node's
     * faults (interruption, missing tool, full disk) are 503s, anything else is the file's fault, a
     * 400 naming the limit it broke, remembered under {@code key}.
     */
    CrnException unpackFailed(IOException e, String key, String noun, String fileHash, String archive,
                              Map<String, Object> details) {
        String msg = String.valueOf(e.getMessage());
        if (e instanceof InterruptedIOException) {
            return new CrnException(503, "unpacking " + noun + " " + fileHash + " was interrupted: " + msg, details);
        }
        if (e instanceof UnpackException u && u.isNodeFault()) {
            return new CrnException(503, "this node cannot unpack " + noun + " " + fileHash + ": " + msg, details);
        }
        if (msg.contains("No space left on device")) {
            return new CrnException(503, "this node is out of disk space for " + noun + " " + fileHash,
                    Map.of("file_hash", fileHash));
        }
        Map<String, Object> all = new LinkedHashMap<>(details);
        String limit = "";
        if (e instanceof UnpackException u && u.limit() != null) {
            all.put("limit", u.limit());
            all.put("max", u.max());
            limit = " (limit " + u.limit() + ")";
        }
        CrnException failure = new CrnException(400, archive + " could not be unpacked: " + msg + limit, all);
        put(key, failure);
        return failure;
    }

    /** Throws a fresh copy of the failure remembered for {@code key}, if any. */
    synchronized void rethrow(String key) {
        CrnException known = failures.get(key);
        if (known != null) throw new CrnException(known.status(), known.getMessage(), known.details());
    }
}
