package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.HTTP;
import static org.aleph4j.ccn.CcnHarness.store;
import static org.aleph4j.ccn.CcnHarness.upload;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.aleph4j.ccn.CcnHarness.Resp;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Multipart uploads of random binary files arrive byte for byte, whatever their size relative to the read buffers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FileUploadTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private CcnNode node;

    @BeforeAll
    void start(@TempDir Path dir) {
        node = new CcnNode(CcnConfig.defaults(dir).withFileLimits(32 * CcnConfig.MIB, 2 * CcnConfig.MIB)).start();
    }

    @AfterAll
    void stop() {
        if (node != null) node.close();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 1024, 1024 * 1024 + 1, 20 * 1024 * 1024})
    void aSignedUploadIsStoredUnderItsSha256AndDownloadsIdentically(int size) throws Exception {
        byte[] data = new byte[size];
        RANDOM.nextBytes(data);
        String sha = ItemHashes.sha256Hex(data);
        AlephMessage s = store(EthAccount.generate(RANDOM), data, null);

        Resp r = upload(node.url(), s, data, true);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("hash").asText()).isEqualTo(sha);
        assertThat(r.json().path("message_status").asText()).isEqualTo("processed");
        HttpResponse<byte[]> raw = HTTP.send(HttpRequest.newBuilder(node.url().resolve("/api/v0/storage/raw/" + sha))
                .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(ItemHashes.sha256Hex(raw.body())).isEqualTo(sha);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 1024, 1024 * 1024 + 1})
    void anAnonymousMultipartUploadIsStoredUnderItsSha256(int size) throws Exception {
        byte[] data = new byte[size];
        RANDOM.nextBytes(data);

        Resp r = upload(node.url(), null, data, false);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("hash").asText()).isEqualTo(ItemHashes.sha256Hex(data));
        assertThat(r.json().path("size").asLong()).isEqualTo(size);
    }

    @Test
    void aMultipartBodyWithoutItsClosingBoundaryIsRefusedAsBadInputAndNothingIsStored() throws Exception {
        byte[] data = new byte[4096];
        RANDOM.nextBytes(data);
        String body = "--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\n"
                + new String(data, StandardCharsets.ISO_8859_1);

        Resp r = CcnHarness.send(HttpRequest.newBuilder(node.url().resolve("/api/v0/storage/add_file"))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "multipart/form-data; boundary=xyz")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.getBytes(StandardCharsets.ISO_8859_1))).build());

        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().path("error").asText()).contains("multipart");
        assertThat(CcnHarness.get(node.url(), "/api/v0/storage/raw/" + ItemHashes.sha256Hex(data)).status()).isEqualTo(404);
    }
}
