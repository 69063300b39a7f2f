package org.aleph4j.ccn.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.aleph4j.message.ItemHashes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Files in a real S3-compatible server (s3rver, started with npx) through the AWS SDK, as a production bucket would
 * be reached: path-style, an endpoint override, static keys. What the server holds is changed behind the store's
 * back with a second, plain S3 client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3FileStoreTest {
    static final String BUCKET = "aleph4j-files";
    @TempDir
    static Path dir;
    S3Server server;
    S3Client raw;
    S3FileStore store;

    @BeforeAll
    void start() throws Exception {
        if (!S3Server.npxAvailable()) return;
        server = S3Server.start(dir, BUCKET);
        raw = S3Client.builder().endpointOverride(server.endpoint).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.KEY, S3Server.KEY)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).chunkedEncodingEnabled(false).build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED).build();
        store = new S3FileStore(location("files/", Duration.ofSeconds(10)), dir.resolve("spool"), 8L << 20);
    }

    @AfterAll
    void stop() {
        if (store != null) store.close();
        if (raw != null) raw.close();
        if (server != null) server.close();
    }

    S3Location location(String prefix, Duration timeout) {
        return S3Location.parse("s3://" + BUCKET + "/" + prefix + "?endpoint=" + server.endpoint + "&region=us-east-1",
                S3Server.KEY, S3Server.KEY, timeout);
    }

    static byte[] random(int seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void aFileRoundTripsAsAnObjectNamedByItsHashAndIsUploadedOnce() throws Exception {
        S3Server.require();
        byte[] data = random(1, 3 * 65536 + 17);
        String hash = ItemHashes.sha256Hex(data);
        assertThat(store.exists(hash)).isFalse();
        assertThatThrownBy(() -> store.open(hash)).isInstanceOf(NoSuchFileException.class);
        long before = store.uploads();
        try (FileStore.Staged s = store.stage(new ByteArrayInputStream(data), data.length)) {
            assertThat(s.hash()).isEqualTo(hash);
            s.commit();
        }
        assertThat(raw.headObject(b -> b.bucket(BUCKET).key("files/" + hash)).contentLength()).isEqualTo(data.length);
        assertThat(store.exists(hash)).isTrue();
        assertThat(store.size(hash)).isEqualTo(data.length);
        try (FileStore.Opened o = store.open(hash)) {
            assertThat(o.size()).isEqualTo(data.length);
            assertThat(o.stream().readAllBytes()).isEqualTo(data);
        }
        // the same bytes again: a HEAD finds them, no second PUT
        try (FileStore.Staged s = store.stage(new ByteArrayInputStream(data), data.length)) {
            s.commit();
        }
        assertThat(store.uploads()).isEqualTo(before + 1);
        assertThat(Files.list(dir.resolve("spool")).toList()).as("spool files are removed").isEmpty();
        store.delete(hash);
        assertThat(store.exists(hash)).isFalse();
    }

    @Test
    void anUploadPastTheLimitKeepsNothing() throws Exception {
        S3Server.require();
        byte[] data = random(2, 1000);
        assertThatThrownBy(() -> store.stage(new ByteArrayInputStream(data), 999)).isInstanceOf(FileStore.TooLargeException.class);
        assertThat(store.exists(ItemHashes.sha256Hex(data))).isFalse();
        assertThat(Files.list(dir.resolve("spool")).toList()).isEmpty();
    }

    @Test
    void anObjectWhoseBytesDoNotHashToItsNameNeverReachesAReaderWhole() throws Exception {
        S3Server.require();
        byte[] data = random(3, 200_000);
        String hash = store.put(data);
        byte[] other = data.clone();
        other[other.length - 1] ^= 1; // only the last byte differs
        raw.putObject(b -> b.bucket(BUCKET).key("files/" + hash), RequestBody.fromBytes(other));
        try (FileStore.Opened o = store.open(hash)) {
            InputStream in = o.stream();
            byte[] buf = new byte[8192];
            long handed = 0;
            int n;
            try {
                while ((n = in.read(buf)) > 0) handed += n;
                throw new AssertionError("the corrupt object was read to its end");
            } catch (FileStore.CorruptException e) {
                assertThat(e).hasMessageContaining("corrupt");
            }
            // the read that would have completed the file fails instead of returning its bytes
            assertThat(handed).isLessThan(data.length);
        }
        assertThatThrownBy(() -> store.read(hash)).isInstanceOf(FileStoreUnavailableException.class);
        // a shorter object is refused too
        raw.putObject(b -> b.bucket(BUCKET).key("files/" + hash), RequestBody.fromBytes(new byte[10]));
        assertThatThrownBy(() -> store.read(hash)).isInstanceOf(FileStoreUnavailableException.class);
        // an object larger than any file this node accepts is refused before it is read
        byte[] big = random(4, (8 << 20) + 1);
        raw.putObject(b -> b.bucket(BUCKET).key("files/" + hash), RequestBody.fromBytes(big));
        assertThatThrownBy(() -> store.open(hash)).isInstanceOf(FileStore.CorruptException.class).hasMessageContaining("declares");
    }

    @Test
    void aStoreThatIsDownIsReportedUnavailableWithinTheTimeout() throws Exception {
        S3Server.require();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        S3Location down = S3Location.parse("s3://" + BUCKET + "/x/?endpoint=http://127.0.0.1:" + port, "k", "s", Duration.ofSeconds(2));
        try (S3FileStore gone = new S3FileStore(down, dir.resolve("spool-down"), 1 << 20)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> gone.exists("a".repeat(64))).isInstanceOf(FileStoreUnavailableException.class)
                    .hasMessageContaining("127.0.0.1:" + port);
            try (FileStore.Staged s = gone.stage(new ByteArrayInputStream(new byte[] {1, 2, 3}), 10)) {
                assertThatThrownBy(s::commit).isInstanceOf(FileStoreUnavailableException.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
        // a server that accepts connections and never answers: the call timeout ends the wait
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            S3Location mute = S3Location.parse("s3://" + BUCKET + "/x/?endpoint=http://127.0.0.1:" + silent.getLocalPort(), "k", "s",
                    Duration.ofMillis(1500));
            try (S3FileStore stuck = new S3FileStore(mute, dir.resolve("spool-mute"), 1 << 20)) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> stuck.exists("b".repeat(64))).isInstanceOf(FileStoreUnavailableException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
            }
        }
    }

    @Test
    void theSettingIsParsedStrictlyAndNeverEchoesAKey() {
        assertThat(S3Location.parse("local", null, null, null)).isNull();
        assertThat(S3Location.parse("", null, null, null)).isNull();
        S3Location l = S3Location.parse("s3://my-bucket/ccn/files/?endpoint=http://10.0.0.5:9000&region=eu-west-1", "AK", "hunter2key", null);
        assertThat(l.bucket()).isEqualTo("my-bucket");
        assertThat(l.prefix()).isEqualTo("ccn/files/");
        assertThat(l.region()).isEqualTo("eu-west-1");
        assertThat(l.timeout()).isEqualTo(S3Location.DEFAULT_TIMEOUT);
        assertThat(l.toString()).doesNotContain("hunter2key");
        assertThatThrownBy(() -> S3Location.parse("s3://AK:hunter2key@bucket/x", null, null, null))
                .hasMessageContaining("must not carry credentials").hasMessageNotContaining("hunter2key");
        assertThatThrownBy(() -> S3Location.parse("ftp://bucket/x", null, null, null)).hasMessageContaining("setting file-store must be");
        assertThatThrownBy(() -> S3Location.parse("s3://Bad_Bucket/x", null, null, null)).hasMessageContaining("bucket name");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/x?endpoint=http://h:1/path", null, null, null)).hasMessageContaining("endpoint");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/x?foo=1", null, null, null)).hasMessageContaining("unknown parameter");
        assertThatThrownBy(() -> S3Location.parse("s3://bucket/x", "AK", null, null)).hasMessageContaining("both");
    }
}
