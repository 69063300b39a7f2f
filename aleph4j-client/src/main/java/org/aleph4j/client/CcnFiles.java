package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;

/**
 * File transfer with a CCN, behind {@link CcnClient}'s file methods: the multipart
 * {@code add_file} upload streamed from its source with progress, and downloads from
 * {@code storage/raw} verified against their sha256 before the file appears.
 */
final class CcnFiles {
    private final CcnHttp http;

    CcnFiles(CcnHttp http) {
        this.http = http;
    }

    /** Uploads exactly {@code size} bytes of {@code data} with the signed STORE (multipart parts {@code metadata} and {@code file}). */
    UploadResult upload(InputStream data, long size, String fileName, AlephMessage signedStore, boolean sync,
                        UploadProgress progress) throws CcnException {
        String boundary = "aleph4j-" + UUID.randomUUID();
        ObjectNode meta = JsonNodeFactory.instance.objectNode();
        meta.set("message", signedStore.forSubmission().toJson());
        meta.put("sync", sync);
        String safeName = (fileName == null || fileName.isBlank() ? "file" : fileName).replaceAll("[\"\r\n\\\\]", "_");
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"metadata\"\r\n"
                + "Content-Type: application/json\r\n\r\n"
                + Json.write(meta) + "\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"" + safeName + "\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        UploadProgress listener = progress == null ? UploadProgress.NONE : progress;
        // The file part streams through a counting stream, so the body is never held in memory.
        HttpRequest.BodyPublisher filePart = HttpRequest.BodyPublishers.ofInputStream(
                () -> new CountingInputStream(data, size, listener));
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.concat(
                HttpRequest.BodyPublishers.ofByteArray(head), filePart, HttpRequest.BodyPublishers.ofByteArray(tail)),
                head.length + size + tail.length);
        // Large files take time on the wire: allow 1 s per MiB on top of the normal bound.
        Duration bound = http.timeout().plus(Duration.ofSeconds(size / (1 << 20))).plus(sync ? CcnHttp.SYNC_EXTRA : Duration.ZERO);
        HttpRequest req = http.request("/api/v0/storage/add_file", bound)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(body).build();
        HttpResponse<String> resp = http.send(req);
        JsonNode json = CcnHttp.parseOrNull(resp.body());
        if (resp.statusCode() >= 400) throw CcnHttp.error(req.uri(), resp.statusCode(), json, resp.body());
        return new UploadResult(resp.statusCode(), json == null ? null : json.path("status").asText(null),
                json == null ? null : json.path("hash").asText(null), json);
    }

    /** Streams the file to {@code target} through a temporary file in its directory; returns the bytes written. */
    long download(String fileHash, Path target) throws CcnException, IOException {
        HttpRequest req = raw(fileHash);
        HttpResponse<InputStream> resp = http.sendStream(req);
        try (InputStream body = resp.body()) {
            if (resp.statusCode() != 200) {
                String text = new String(body.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                throw CcnHttp.error(req.uri(), resp.statusCode(), CcnHttp.parseOrNull(text), text);
            }
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".download-", ".tmp");
            try {
                MessageDigest sha = sha256();
                long n;
                try (InputStream in = new DigestInputStream(body, sha); OutputStream out = Files.newOutputStream(tmp)) {
                    n = in.transferTo(out);
                }
                String got = HexFormat.of().formatHex(sha.digest());
                if (ItemHashes.isSha256Hash(fileHash) && !got.equals(fileHash)) {
                    throw new IOException("downloaded file has sha256 " + got + ", expected " + fileHash);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                return n;
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** The whole file in memory. */
    byte[] downloadBytes(String fileHash) throws CcnException, IOException {
        HttpRequest req = raw(fileHash);
        HttpResponse<InputStream> resp = http.sendStream(req);
        try (InputStream body = resp.body()) {
            byte[] bytes = body.readAllBytes();
            if (resp.statusCode() != 200) {
                String text = new String(bytes, StandardCharsets.UTF_8);
                throw CcnHttp.error(req.uri(), resp.statusCode(), CcnHttp.parseOrNull(text), text);
            }
            return bytes;
        }
    }

    private HttpRequest raw(String fileHash) {
        return http.request("/api/v0/storage/raw/" + CcnHttp.segment(fileHash)).GET().build();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts bytes as the HTTP client reads them and stops at {@code size} so the Content-Length holds. */
    private static final class CountingInputStream extends InputStream {
        private final InputStream in;
        private final long size;
        private final UploadProgress progress;
        private long read;
        private long lastReported;

        CountingInputStream(InputStream in, long size, UploadProgress progress) {
            this.in = in;
            this.size = size;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (read >= size) return -1;
            int n = in.read(b, off, (int) Math.min(len, size - read));
            if (n < 0) throw new IOException("file ended after " + read + " of " + size + " bytes");
            read += n;
            // Report every 1 MiB and at the end, not on every buffer.
            if (read - lastReported >= (1 << 20) || read == size) {
                lastReported = read;
                progress.onProgress(read, size);
            }
            return n;
        }
    }
}
