package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.StoreContent;

/**
 * The default {@link SnapshotStore}: the CCN's file store. A stream is cut into parts of at most
 * 16 MiB; each is spooled to a file in {@code spool} while its sha256 is computed, then uploaded
 * with a STORE message signed by the node's key and processed synchronously, so the CCN pins it (a
 * STORE of up to 25 MiB costs nothing on aleph4j, so the node needs no balance). A part's ref is its
 * sha256. Downloads come from {@code /api/v0/storage/raw/{ref}} into the spool (the next part while
 * the current one is read: {@link PartStream}), read no further than the part size and what the
 * snapshot has left, and are handed out only once their hash matches the ref. Every call is bounded:
 * the client's timeout plus 1 s per MiB. Memory is one copy buffer; the spool holds one part being
 * uploaded, or two being downloaded.
 */
public final class CcnSnapshotStore implements SnapshotStore {
    public static final int PART_BYTES = 16 << 20;
    private static final long MIB = 1 << 20;

    private final CcnClient ccn;
    private final EthAccount nodeKey;
    private final Path spool;
    private final int partBytes;
    private final HttpClient http;

    /** {@code spool} is this store's alone: parts a previous run left in it are deleted. */
    public CcnSnapshotStore(CcnClient ccn, EthAccount nodeKey, Path spool) throws IOException {
        this(ccn, nodeKey, spool, PART_BYTES);
    }

    CcnSnapshotStore(CcnClient ccn, EthAccount nodeKey, Path spool, int partBytes) throws IOException {
        this.ccn = ccn;
        this.nodeKey = nodeKey;
        this.spool = Files.createDirectories(spool);
        try (var left = Files.newDirectoryStream(spool, "{put,get}-*.part")) {
            for (Path p : left) Files.deleteIfExists(p); // what a previous run was moving
        }
        this.partBytes = partBytes;
        this.http = HttpClient.newBuilder().connectTimeout(ccn.timeout()).build();
    }

    @Override
    public List<String> put(InputStream encrypted) throws IOException {
        List<String> refs = new ArrayList<>();
        byte[] buf = new byte[64 * 1024];
        while (true) {
            Path part = Files.createTempFile(spool, "put-", ".part");
            try {
                MessageDigest sha = sha256();
                long n = 0;
                try (OutputStream out = new DigestOutputStream(Files.newOutputStream(part), sha)) {
                    int r;
                    while (n < partBytes && (r = encrypted.read(buf, 0, (int) Math.min(buf.length, partBytes - n))) > 0) {
                        out.write(buf, 0, r);
                        n += r;
                    }
                }
                if (n == 0) return List.copyOf(refs);
                String hash = HexFormat.of().formatHex(sha.digest());
                upload(part, hash, n, refs.size());
                refs.add(hash);
                if (n < partBytes) return List.copyOf(refs);
            } finally {
                Files.deleteIfExists(part);
            }
        }
    }

    private void upload(Path part, String hash, long size, int index) throws IOException {
        double now = System.currentTimeMillis() / 1000.0;
        StoreContent content = new StoreContent(nodeKey.address(), now, ItemType.STORAGE, hash, size, null, null, null, null);
        AlephMessage store;
        try {
            store = MessageBuilder.build(nodeKey, MessageType.STORE, content, null, now);
        } catch (MessageException e) {
            throw new IllegalStateException("cannot sign the STORE of a snapshot part", e);
        }
        UploadResult r = ccn.uploadFile(part, store, true, null);
        String status = r.body() == null ? null : r.body().path("message_status").asText(null);
        if (r.httpStatus() >= 300 || !hash.equals(r.hash()) || !"processed".equals(status)) {
            throw new VolumeException("the CCN did not store snapshot part " + index + " (" + hash + "): HTTP " + r.httpStatus()
                    + ", " + r.body());
        }
    }

    @Override
    public InputStream get(List<String> parts, long expectedBytes) throws IOException {
        return PartStream.open(parts, expectedBytes, partBytes, this::download);
    }

    /** Downloads part {@code index} into a spool file, reading at most {@code max} bytes; the file is returned once its hash is the ref. */
    private Path download(String ref, int index, long max, boolean last, long left) throws IOException {
        URI uri = URI.create(ccn.baseUrl() + "/api/v0/storage/raw/" + ref);
        Duration bound = ccn.timeout().plus(Duration.ofSeconds(max / MIB + 1));
        HttpRequest req = HttpRequest.newBuilder(uri).timeout(bound).GET().build();
        HttpResponse<InputStream> resp;
        try {
            resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VolumeException("interrupted while downloading snapshot part " + ref);
        } catch (IOException e) {
            throw new VolumeException("cannot download snapshot part " + index + " (" + ref + ") from " + uri + ": " + e, e);
        }
        Path file = Files.createTempFile(spool, "get-", ".part");
        InputStream body = resp.body();
        // the request's timeout ends with the headers: a body that stalls is closed at the same bound
        java.util.concurrent.atomic.AtomicBoolean late = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(bound);
                late.set(true);
                body.close();
            } catch (InterruptedException | IOException done) {
                // finished in time
            }
        });
        try (body) {
            if (resp.statusCode() == 404) throw new SnapshotCorruptException("snapshot part " + index + " (" + ref + ") is missing from the CCN");
            if (resp.statusCode() != 200) throw new VolumeException("cannot download snapshot part " + ref + ": HTTP " + resp.statusCode());
            MessageDigest sha = sha256();
            long n;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha)) {
                n = body.transferTo(new BoundedOutput(out, max));
            } catch (IOException e) {
                if (!late.get()) throw e;
                throw new VolumeException("snapshot part " + index + " (" + ref + ") did not download within " + bound.toSeconds() + " s");
            }
            if (n > max || last && n != left || n == 0) {
                throw new SnapshotCorruptException("snapshot part " + index + " (" + ref + ") has a wrong size (" + n + " bytes)");
            }
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(ref)) throw new SnapshotCorruptException("snapshot part " + index + " hashes to " + got + ", not " + ref);
            return file;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        } finally {
            watchdog.interrupt();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
