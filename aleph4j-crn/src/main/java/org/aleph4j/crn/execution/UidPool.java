package org.aleph4j.crn.execution;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import org.aleph4j.crn.CrnException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host-wide allocation of one unprivileged uid per execution, so that two programs never share a
 * user (they could signal, ptrace or read each other's files). A uid is held by an exclusively
 * created file {@code <registry>/<uid>} naming its owner node process and execution; entries of
 * node processes that are gone are reclaimed. The range is far above ordinary users and subuid
 * ranges; nothing on the host owns files there but executions.
 */
public final class UidPool {
    private static final Logger log = LoggerFactory.getLogger(UidPool.class);
    public static final int BASE = 200_000_000;
    public static final int SIZE = 65_536;
    private final Path registry;
    private final String owner;

    public UidPool(Path registry) {
        this.registry = registry;
        this.owner = ownerTag(ProcessHandle.current());
        try {
            Files.createDirectories(registry);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A uid for {@code executionId}, held until {@link #release}. */
    public int allocate(String executionId) {
        int start = ThreadLocalRandom.current().nextInt(SIZE);
        for (int i = 0; i < SIZE; i++) {
            int uid = BASE + (start + i) % SIZE;
            try {
                Files.writeString(registry.resolve(Integer.toString(uid)), owner + " " + executionId + "\n",
                        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return uid;
            } catch (FileAlreadyExistsException e) {
                // taken: the next one
            } catch (IOException e) {
                throw new CrnException(500, "cannot allocate a user for the execution: " + e.getMessage());
            }
        }
        throw new CrnException(503, "no free execution user on this node");
    }

    /** Frees the uid of {@code executionId}, if it holds one. */
    public void release(String executionId) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(registry)) {
            for (Path f : ds) {
                try {
                    String[] p = Files.readString(f).strip().split("\\s+");
                    if (p.length >= 2 && p[0].equals(owner) && p[1].equals(executionId)) Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // released meanwhile
                }
            }
        } catch (IOException e) {
            log.warn("cannot scan {}: {}", registry, e.toString());
        }
    }

    /** The uid {@code executionId} holds, or -1. */
    public int uidOf(String executionId) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(registry)) {
            for (Path f : ds) {
                String[] p = Files.readString(f).strip().split("\\s+");
                if (p.length >= 2 && p[0].equals(owner) && p[1].equals(executionId)) return Integer.parseInt(f.getFileName().toString());
            }
        } catch (IOException | RuntimeException ignored) {
            // none
        }
        return -1;
    }

    /** Reclaims uids of node processes that are gone; returns how many. */
    public int reclaimOrphans() {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(registry)) {
            for (Path f : ds) {
                try {
                    String[] p = Files.readString(f).strip().split("\\s+");
                    if (p.length < 1 || p[0].indexOf(':') < 0) continue;
                    long pid = Long.parseLong(p[0].substring(0, p[0].indexOf(':')));
                    boolean alive = ProcessHandle.of(pid).map(h -> ownerTag(h).equals(p[0])).orElse(false);
                    if (!alive && Files.deleteIfExists(f)) n++;
                } catch (IOException | RuntimeException ignored) {
                    // unreadable: left for the next scan
                }
            }
        } catch (IOException e) {
            log.warn("cannot scan {}: {}", registry, e.toString());
        }
        return n;
    }

    /** "pid:startMillis" of a process: a pid alone may be reused. */
    static String ownerTag(ProcessHandle p) {
        return p.pid() + ":" + p.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(0L);
    }
}
