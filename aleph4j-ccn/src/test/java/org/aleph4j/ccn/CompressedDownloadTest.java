package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.HTTP;
import static org.aleph4j.ccn.CcnHarness.store;
import static org.aleph4j.ccn.CcnHarness.upload;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.zip.GZIPInputStream;
import org.aleph4j.ccn.CcnHarness.Resp;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Clients that send {@code Accept-Encoding: gzip} (browsers, axios, aiohttp) download files and large JSON pages
 * intact: files come back as they were stored, with their exact {@code Content-Length}, and a compressed JSON answer
 * never carries the uncompressed length.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CompressedDownloadTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private CcnNode node;

    @BeforeAll
    void start(@TempDir Path dir) {
        node = new CcnNode(CcnConfig.defaults(dir).withFileLimits(16 * CcnConfig.MIB, 2 * CcnConfig.MIB)).start();
    }

    @AfterAll
    void stop() {
        if (node != null) node.close();
    }

    /** What a client received: status, headers of interest, the bytes on the wire and the decoded body's sha256. */
    record Download(int status, String encoding, OptionalLong contentLength, long wireBytes, byte[] decoded) {
        String sha256() {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(decoded));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** GETs (or HEADs) {@code path}, decoding gzip itself as a browser would, counting the bytes on the wire. */
    private Download fetch(String path, boolean gzip, String method) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.url().resolve(path)).timeout(Duration.ofSeconds(60))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (gzip) b.header("Accept-Encoding", "gzip, deflate");
        HttpResponse<InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        String encoding = r.headers().firstValue("Content-Encoding").orElse(null);
        CountingStream wire = new CountingStream(r.body());
        byte[] decoded;
        try (InputStream in = "gzip".equalsIgnoreCase(encoding) ? new GZIPInputStream(wire) : wire) {
            decoded = in.readAllBytes();
        }
        wire.transferTo(java.io.OutputStream.nullOutputStream());
        r.body().close();
        return new Download(r.statusCode(), encoding, r.headers().firstValueAsLong("Content-Length"), wire.count, decoded);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1500, 1501, 64 * 1024, 1024 * 1024 + 1, 5 * 1024 * 1024})
    void aStoredFileDownloadsByteForByteWithAndWithoutCompressionAndWithItsExactLength(int size) throws Exception {
        byte[] data = new byte[size];
        RANDOM.nextBytes(data);
        String sha = ItemHashes.sha256Hex(data);
        Resp up = upload(node.url(), store(EthAccount.generate(RANDOM), data, null), data, true);
        assertThat(up.status()).as(up.body()).isEqualTo(200);
        assertThat(up.json().path("hash").asText()).isEqualTo(sha);
        String path = "/api/v0/storage/raw/" + sha;

        for (boolean gzip : new boolean[] {false, true}) {
            Download d = fetch(path, gzip, "GET");
            assertThat(d.status()).as("gzip=%s", gzip).isEqualTo(200);
            assertThat(d.sha256()).as("gzip=%s", gzip).isEqualTo(sha);
            // a stored file is opaque: it is sent as stored, so its length is known up front
            assertThat(d.encoding()).as("gzip=%s", gzip).isNull();
            assertThat(d.contentLength()).as("gzip=%s", gzip).hasValue(size);
            assertThat(d.wireBytes()).as("gzip=%s", gzip).isEqualTo(size);

            Download head = fetch(path, gzip, "HEAD");
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.encoding()).isNull();
            assertThat(head.contentLength()).hasValue(size);
            assertThat(head.decoded()).isEmpty();
        }
    }

    @Test
    void aRangeRequestForAFileIsAnsweredWithTheWholeFile() throws Exception {
        byte[] data = new byte[10_000];
        RANDOM.nextBytes(data);
        String sha = ItemHashes.sha256Hex(data);
        assertThat(upload(node.url(), store(EthAccount.generate(RANDOM), data, null), data, true).status()).isEqualTo(200);

        HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(node.url().resolve("/api/v0/storage/raw/" + sha))
                .header("Range", "bytes=0-99").header("Accept-Encoding", "gzip").timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(data);
    }

    @Test
    void aLargeMessagesPageIsTheSameJsonWithAndWithoutCompression() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        String filler = "x".repeat(4000);
        for (int i = 0; i < 25; i++) {
            Resp r = CcnHarness.post(node.url(), CcnHarness.post(a, "gzip-test", "{\"i\":" + i + ",\"pad\":\"" + filler + "\"}"), true);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        String path = "/api/v0/messages.json?addresses=" + a.address() + "&pagination=25";

        Download plain = fetch(path, false, "GET");
        Download gzip = fetch(path, true, "GET");

        assertThat(plain.status()).isEqualTo(200);
        assertThat(gzip.status()).isEqualTo(200);
        assertThat(plain.decoded().length).isGreaterThan(100_000);
        assertThat(plain.encoding()).isNull();
        assertThat(plain.contentLength()).satisfiesAnyOf(
                cl -> assertThat(cl).isEmpty(), cl -> assertThat(cl).hasValue(plain.decoded().length));
        assertThat(gzip.encoding()).isEqualTo("gzip");
        assertThat(gzip.wireBytes()).isLessThan(gzip.decoded().length);
        assertThat(gzip.contentLength()).satisfiesAnyOf(
                cl -> assertThat(cl).isEmpty(), cl -> assertThat(cl).hasValue(gzip.wireBytes()));
        JsonNode p = Json.MAPPER.readTree(plain.decoded());
        JsonNode g = Json.MAPPER.readTree(gzip.decoded());
        assertThat(g.path("messages")).hasSize(25);
        assertThat(g.path("messages")).isEqualTo(p.path("messages"));
    }

    /** Counts what passes through. */
    private static final class CountingStream extends java.io.FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) count += n;
            return n;
        }

        @Override
        public void close() {
            // the caller drains and closes the response body itself
        }
    }
}
