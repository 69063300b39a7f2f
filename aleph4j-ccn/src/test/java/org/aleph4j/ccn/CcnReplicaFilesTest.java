package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.HTTP;
import static org.aleph4j.ccn.CcnHarness.get;
import static org.aleph4j.ccn.CcnHarness.store;
import static org.aleph4j.ccn.CcnHarness.upload;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import org.aleph4j.ccn.CcnHarness.Backend;
import org.aleph4j.ccn.CcnHarness.Resp;
import org.aleph4j.ccn.files.S3Location;
import org.aleph4j.ccn.files.S3Server;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two CCNs on one PostgreSQL schema and one S3-compatible bucket (s3rver) serve each other's files; with the bucket
 * down they answer 503 with the error shape, never 500, and change nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CcnReplicaFilesTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    @TempDir
    static Path dir;
    S3Server s3;
    String url;
    CcnNode a;
    CcnNode b;

    @BeforeAll
    void start() throws Exception {
        if (!S3Server.npxAvailable()) return;
        s3 = S3Server.start(dir, "ccn-files");
        url = Backend.POSTGRESQL.createUrl();
        S3Location bucket = S3Location.parse("s3://ccn-files/f/?endpoint=" + s3.endpoint, S3Server.KEY, S3Server.KEY, Duration.ofSeconds(2));
        EthAccount oracle = EthAccount.generate(RANDOM);
        a = new CcnNode(CcnHarness.config(dir.resolve("a"), url, oracle).withFileStore(bucket)).start();
        b = new CcnNode(CcnHarness.config(dir.resolve("b"), url, oracle).withFileStore(bucket)).start();
    }

    @AfterAll
    void stop() throws Exception {
        if (a != null) a.close();
        if (b != null) b.close();
        if (s3 != null) s3.close();
        Backend.drop(url);
    }

    static byte[] random(int size) {
        byte[] d = new byte[size];
        RANDOM.nextBytes(d);
        return d;
    }

    static HttpResponse<byte[]> raw(URI base, String hash) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve("/api/v0/storage/raw/" + hash)).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    @Order(1)
    void aFileStoredThroughEitherReplicaIsServedByTheOther() throws Exception {
        S3Server.require();
        for (CcnNode[] pair : new CcnNode[][] {{a, b}, {b, a}}) {
            byte[] data = random(150_000);
            String sha = ItemHashes.sha256Hex(data);
            AlephMessage s = store(EthAccount.generate(RANDOM), data, null);
            Resp up = upload(pair[0].url(), s, data, true);
            assertThat(up.status()).as(up.body()).isEqualTo(200);
            assertThat(up.json().path("message_status").asText()).isEqualTo("processed");

            HttpResponse<byte[]> r = raw(pair[1].url(), sha);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(data);
            Resp b64 = get(pair[1].url(), "/api/v0/storage/" + sha);
            assertThat(b64.status()).as(b64.body()).isEqualTo(200);
            assertThat(Base64.getMimeDecoder().decode(b64.json().path("content").asText())).isEqualTo(data);
            Resp meta = get(pair[1].url(), "/api/v0/storage/metadata/" + sha);
            assertThat(meta.status()).as(meta.body()).isEqualTo(200);
            assertThat(meta.json().path("size").asLong()).isEqualTo(data.length);
            Resp byMessage = get(pair[1].url(), "/api/v0/storage/by-message-hash/" + s.itemHash());
            assertThat(byMessage.json().path("file_hash").asText()).isEqualTo(sha);
        }
        // the default runtime both publish on start is one object, readable through either
        assertThat(raw(a.url(), ItemHashes.sha256Hex(org.aleph4j.message.runtime.DefaultRuntime.descriptor())).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void withTheBucketDownFilesAre503AndAnUploadKeepsNothing() throws Exception {
        S3Server.require();
        byte[] kept = random(2048);
        Resp up = upload(a.url(), store(EthAccount.generate(RANDOM), kept, null), kept, true);
        assertThat(up.status()).as(up.body()).isEqualTo(200);
        String keptHash = ItemHashes.sha256Hex(kept);
        int port = s3.port();
        s3.close();
        try {
            HttpResponse<byte[]> r = raw(b.url(), keptHash);
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            Resp meta = get(b.url(), "/api/v0/storage/metadata/" + keptHash);
            assertThat(meta.status()).isEqualTo(503);
            assertThat(meta.json().path("error").asText()).contains("file store is unavailable");
            assertThat(meta.json().has("error_code")).isTrue();
            assertThat(meta.json().path("details").path("reason").asText()).contains("127.0.0.1:" + port);

            byte[] lost = random(4096);
            AlephMessage s = store(EthAccount.generate(RANDOM), lost, null);
            Resp refused = upload(a.url(), s, lost, true);
            assertThat(refused.status()).as(refused.body()).isEqualTo(503);
            assertThat(CcnHarness.status(a.url(), s.itemHash())).isEqualTo("unknown");
            assertThat(get(b.url(), "/api/v0/storage/by-message-hash/" + s.itemHash()).status()).isEqualTo(404);
        } finally {
            s3 = S3Server.start(dir, "ccn-files", port);
        }
        // back: the file kept before the outage is served again, by both
        assertThat(raw(b.url(), keptHash).body()).isEqualTo(kept);
        assertThat(raw(a.url(), keptHash).body()).isEqualTo(kept);
    }
}
