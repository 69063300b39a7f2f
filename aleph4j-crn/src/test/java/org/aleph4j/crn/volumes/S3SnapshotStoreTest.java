package org.aleph4j.crn.volumes;

import org.aleph4j.testkit.S3Server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import org.aleph4j.message.ItemHashes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Snapshot parts in a real S3-compatible server (s3rver, started with npx), reached through the AWS
 * SDK as a production bucket would be: path-style, an endpoint override, static keys. What the
 * server holds is changed behind the store's back with a second, plain S3 client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class S3SnapshotStoreTest {
    static final String BUCKET = "aleph4j-snapshots";
    static final int PART = 64 * 1024;
    @TempDir
    static Path dir;
    S3Server server;
    String unavailable;
    S3Client raw;
    S3SnapshotStore store;

    @BeforeAll
    void start() throws Exception {
        if (!S3Server.npxAvailable()) {
            unavailable = "npx (Node.js) is not on the PATH: the S3 tests run s3rver@" + S3Server.VERSION + " with it";
            return;
        }
        server = S3Server.start(dir, BUCKET);
        raw = S3Client.builder().endpointOverride(server.endpoint).region(Region.US_EAST_1)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.KEY, S3Server.KEY)))
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).chunkedEncodingEnabled(false).build())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED).build();
        store = new S3SnapshotStore(config("parts/"), dir.resolve("spool"), Duration.ofSeconds(10), PART);
    }

    @AfterAll
    void stop() {
        if (store != null) store.close();
        if (raw != null) raw.close();
        if (server != null) server.close();
    }

    /** CI (ALEPH4J_REQUIRE_SANDBOX=1) fails without the server; elsewhere its tests are skipped. */
    void requireServer() {
        if (unavailable == null) return;
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) Assertions.fail("ALEPH4J_REQUIRE_SANDBOX=1: " + unavailable);
        Assumptions.assumeTrue(false, unavailable);
    }

    S3Config config(String prefix) {
        return S3Config.parse("s3://" + BUCKET + "/" + prefix + "?endpoint=" + server.endpoint + "&region=us-east-1",
                S3Server.KEY, S3Server.KEY);
    }

    List<String> keys(String prefix) {
        return raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream().map(S3Object::key).sorted().toList();
    }

    void overwrite(String key, byte[] bytes) {
        raw.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(bytes));
    }

    @Test
    void aMultiPartStreamRoundTripsThroughObjectsNamedByTheirHash() throws Exception {
        requireServer();
        try (S3SnapshotStore real = new S3SnapshotStore(config("big/"), dir.resolve("spool-big"), Duration.ofSeconds(10))) {
            byte[] data = Disks.random(1, 2 * CcnSnapshotStore.PART_BYTES + 12_345);
            long t0 = System.nanoTime();
            List<String> parts = real.put(new ByteArrayInputStream(data));
            long putMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(parts).hasSize(3);
            for (int i = 0; i < 3; i++) {
                byte[] slice = Arrays.copyOfRange(data, i * CcnSnapshotStore.PART_BYTES, Math.min(data.length, (i + 1) * CcnSnapshotStore.PART_BYTES));
                assertThat(parts.get(i)).isEqualTo(ItemHashes.sha256Hex(slice));
            }
            assertThat(keys("big/")).containsExactlyInAnyOrderElementsOf(parts.stream().map(p -> "big/" + p).toList());
            t0 = System.nanoTime();
            try (InputStream in = real.get(parts, data.length)) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            long getMs = (System.nanoTime() - t0) / 1_000_000;
            t0 = System.nanoTime();
            assertThat(real.put(new ByteArrayInputStream(data))).isEqualTo(parts);
            long againMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(real.uploads()).isEqualTo(3);
            System.out.printf("s3rver: put %d MiB (3 PUTs) in %d ms, get in %d ms, put again (3 HEADs, no PUT) in %d ms%n",
                    data.length >> 20, putMs, getMs, againMs);
            assertThat(dir.resolve("spool-big")).isEmptyDirectory();
            assertThat(real.put(InputStream.nullInputStream())).isEmpty();
            assertThat(real.get(List.of(), 0).readAllBytes()).isEmpty();
        }
    }

    @Test
    void theSameStreamTwiceStoresNoNewObject() throws Exception {
        requireServer();
        byte[] data = Disks.random(2, 3 * PART + 5);
        long t0 = System.nanoTime();
        List<String> first = store.put(new ByteArrayInputStream(data));
        long firstMs = (System.nanoTime() - t0) / 1_000_000;
        List<String> objects = keys("parts/");
        long uploads = store.uploads();
        String lastModified = raw.headObject(b -> b.bucket(BUCKET).key("parts/" + first.get(0))).lastModified().toString();
        t0 = System.nanoTime();
        List<String> second = store.put(new ByteArrayInputStream(data));
        long secondMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("s3rver: 4 parts uploaded in %d ms, found already stored (HEAD only) in %d ms%n", firstMs, secondMs);
        assertThat(second).isEqualTo(first);
        assertThat(store.uploads()).as("no PUT for parts already stored").isEqualTo(uploads);
        assertThat(keys("parts/")).isEqualTo(objects);
        assertThat(raw.headObject(b -> b.bucket(BUCKET).key("parts/" + first.get(0))).lastModified().toString()).isEqualTo(lastModified);
        // a stream sharing its first part stores only what is new
        byte[] longer = Arrays.copyOf(data, 5 * PART);
        List<String> third = store.put(new ByteArrayInputStream(longer));
        assertThat(third.subList(0, 3)).isEqualTo(first.subList(0, 3));
        assertThat(store.uploads()).isEqualTo(uploads + 2);
    }

    @Test
    void wrongSizesAreRefusedBeforeAndWhileReading() throws Exception {
        requireServer();
        byte[] data = Disks.random(3, 2 * PART + 7);
        List<String> parts = store.put(new ByteArrayInputStream(data));
        assertThatThrownBy(() -> store.get(parts, data.length + 1).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("wrong size");
        assertThatThrownBy(() -> store.get(parts, data.length - 1).readAllBytes()).isInstanceOf(SnapshotCorruptException.class);
        assertThatThrownBy(() -> store.get(parts, 2L * PART).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("more parts than");
        assertThatThrownBy(() -> store.get(parts, 10L * PART)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("3 parts cannot hold");
        assertThatThrownBy(() -> store.get(List.of("../../etc"), 5)).isInstanceOf(SnapshotCorruptException.class);
        assertThat(store.get(parts, data.length).readAllBytes()).isEqualTo(data);
        assertThat(dir.resolve("spool")).isEmptyDirectory();
    }

    @Test
    void aPartDeletedBehindTheStoresBackIsMissing() throws Exception {
        requireServer();
        byte[] data = Disks.random(4, 2 * PART + 9);
        List<String> parts = store.put(new ByteArrayInputStream(data));
        raw.deleteObject(b -> b.bucket(BUCKET).key("parts/" + parts.get(1)));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        assertThatThrownBy(() -> store.get(parts, data.length).transferTo(got)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("part 1").hasMessageContaining("missing").hasMessageContaining(BUCKET)
                .hasMessageContaining("parts/" + parts.get(1));
        assertThat(got.size()).as("only the first, verified part was handed out").isEqualTo(PART);
        // storing the stream again puts the missing part back
        store.put(new ByteArrayInputStream(data));
        assertThat(store.get(parts, data.length).readAllBytes()).isEqualTo(data);
        assertThat(dir.resolve("spool")).isEmptyDirectory();
    }

    @Test
    void anObjectOverwrittenWithOtherBytesIsCaught() throws Exception {
        requireServer();
        byte[] data = Disks.random(5, 2 * PART + 11);
        List<String> parts = store.put(new ByteArrayInputStream(data));
        String key = "parts/" + parts.get(2);
        byte[] altered = Arrays.copyOfRange(data, 2 * PART, data.length);
        altered[3] ^= 1;
        overwrite(key, altered);
        assertThatThrownBy(() -> store.get(parts, data.length).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("part 2 hashes to").hasMessageContaining(BUCKET);
        // more bytes than the part may hold: refused from the object's size, the body not read
        overwrite(key, new byte[PART + 1]);
        assertThatThrownBy(() -> store.get(parts, data.length).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("larger than");
        // a full-size part replaced by a larger object
        String first = "parts/" + parts.get(0);
        overwrite(first, Disks.random(6, 3 * PART));
        assertThatThrownBy(() -> store.get(parts, data.length).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("part 0").hasMessageContaining("larger than");
        overwrite(first, new byte[0]);
        assertThatThrownBy(() -> store.get(parts, data.length).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("part 0");
        // objects of the wrong size are stored again on the next put
        long before = store.uploads();
        store.put(new ByteArrayInputStream(data));
        assertThat(store.uploads()).isEqualTo(before + 2);
        assertThat(store.get(parts, data.length).readAllBytes()).isEqualTo(data);
        assertThat(dir.resolve("spool")).isEmptyDirectory();
    }

    @Test
    void aServerThatStallsIsGivenUpOnWithinTheBound() throws Exception {
        requireServer(); // the SDK is what is tested here, not s3rver; kept with the others
        try (ServerSocket stall = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Socket s = stall.accept();
                        held.add(s);
                        // headers of a 200 and the start of a body, then nothing
                        s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 60000\r\nContent-Range: bytes 0-59999/60000\r\n\r\n"
                                + "0123456789").getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            S3Config at = S3Config.parse("s3://" + BUCKET + "/?endpoint=http://127.0.0.1:" + stall.getLocalPort(), "k", "s");
            try (S3SnapshotStore stalled = new S3SnapshotStore(at, dir.resolve("spool-stall"), Duration.ofSeconds(1), PART)) {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> stalled.get(List.of(ItemHashes.sha256Hex("x")), 60_000).readAllBytes())
                        .isInstanceOf(VolumeException.class).hasMessageContaining(BUCKET).hasMessageContaining(ItemHashes.sha256Hex("x"));
                assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
                assertThat(dir.resolve("spool-stall")).isEmptyDirectory();
            } finally {
                stall.close();
                acceptor.join(5_000);
                for (Socket s : held) s.close();
            }
        }
    }

    @Test
    void theSettingIsParsedAndBadValuesAreRefusedInOneLine() {
        assertThat(S3Config.parse("ccn", null, null)).isNull();
        assertThat(S3Config.parse(null, null, null)).isNull();
        assertThat(S3Config.parse("  ", null, null)).isNull();
        S3Config c = S3Config.parse("s3://snaps.example/crn-1/parts/?endpoint=http://10.0.0.5:9000&region=eu-west-3", "AK", "SECRET");
        assertThat(c.bucket()).isEqualTo("snaps.example");
        assertThat(c.prefix()).isEqualTo("crn-1/parts/");
        assertThat(c.endpoint()).isEqualTo(URI.create("http://10.0.0.5:9000"));
        assertThat(c.region()).isEqualTo("eu-west-3");
        assertThat(c.toString()).doesNotContain("SECRET");
        S3Config aws = S3Config.parse("s3://my-bucket", null, null);
        assertThat(aws.prefix()).isEmpty();
        assertThat(aws.endpoint()).isNull();
        assertThat(aws.region()).isEqualTo("us-east-1");
        assertThat(aws.accessKey()).isNull();

        for (String bad : List.of("s3", "ipfs", "s3://", "s3:///prefix", "s3://Bad_Bucket/", "s3://ab/", "s3://bucket:9000/",
                "s3://b..b/", "s3://bucket//abs", "s3://bucket/?endpoint=ftp://h:1", "s3://bucket/?endpoint=http://h:1/path",
                "s3://bucket/?endpoint=nonsense", "s3://bucket/?region=Not_A_Region", "s3://bucket/?colour=blue",
                "s3://bucket/p#frag", "http://bucket/", "s3://bucket/ space")) {
            assertThatThrownBy(() -> S3Config.parse(bad, null, null)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("setting snapshot-store").hasMessageNotContaining("\n");
        }
        assertThatThrownBy(() -> S3Config.parse("s3://AKIA:topsecret@bucket/", null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not carry credentials").hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> S3Config.parse("s3://bucket/", "AK", null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("both snapshot-store-access-key and snapshot-store-secret-key");
        assertThatThrownBy(() -> S3Config.parse("s3://bucket/", null, "SECRET")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("SECRET");
    }

    @Test
    void aVolumeSnapshottedIntoTheBucketIsRestoredOnAnotherNode() throws Exception {
        requireServer();
        Disks.assumeUsable();
        Path nodes = Files.createTempDirectory(dir, "nodes");
        try (S3SnapshotStore volumes = new S3SnapshotStore(config("volumes/"), nodes.resolve("spool"), Duration.ofSeconds(10))) {
            FakeScheduler scheduler = new FakeScheduler();
            byte[] key = Disks.random(8, 32);
            String volume = ItemHashes.sha256Hex("volume of " + nodes);
            VolumeDisk a = VolumeDisk.create(nodes.resolve("A").resolve(volume), 64);
            scheduler.lease("A");
            new VolumeRestore(volumes).restore(a, volume, key, scheduler.epoch(), scheduler.chain(volume));
            VolumeSnapshots snapA = new VolumeSnapshots(a, volume, key, scheduler.epoch(), volumes, scheduler.as("A"), 256);
            Disks.write(a.live().resolve("blob"), Disks.random(9, 20 << 20));
            assertThat(snapA.snapshotNow().outcome()).isEqualTo(SnapshotResult.Outcome.ACCEPTED);
            Files.writeString(a.live().resolve("notes.txt"), "written on A");
            SnapshotResult delta = snapA.snapshotNow();
            assertThat(delta.outcome()).isEqualTo(SnapshotResult.Outcome.ACCEPTED);
            assertThat(delta.full()).isFalse();
            TreeMap<String, String> onA = Disks.digest(a.live());
            assertThat(keys("volumes/")).hasSizeGreaterThan(2); // the full snapshot alone is two parts

            VolumeDisk b = VolumeDisk.create(nodes.resolve("B").resolve(volume), 64);
            scheduler.lease("B");
            VolumeRestore.Result restored = new VolumeRestore(volumes).restore(b, volume, key, scheduler.epoch(), scheduler.chain(volume));
            assertThat(restored.applied()).isEqualTo(2);
            assertThat(Disks.digest(b.live())).isEqualTo(onA);
        } finally {
            Disks.cleanUp(nodes);
        }
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void aStoppedServerIsAClearErrorNotAHang() throws Exception {
        requireServer();
        byte[] data = Disks.random(10, PART + 1);
        try (S3SnapshotStore quick = new S3SnapshotStore(config("stopped/"), dir.resolve("spool-stopped"), Duration.ofSeconds(2), PART)) {
            List<String> parts = quick.put(new ByteArrayInputStream(data));
            server.close();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> quick.get(parts, data.length).readAllBytes()).isInstanceOf(VolumeException.class)
                    .isNotInstanceOf(SnapshotCorruptException.class)
                    .hasMessageContaining("cannot download snapshot part 0").hasMessageContaining(BUCKET)
                    .hasMessageContaining("stopped/" + parts.get(0)).hasMessageContaining(server.endpoint.toString());
            assertThatThrownBy(() -> quick.put(new ByteArrayInputStream(Disks.random(11, 100)))).isInstanceOf(VolumeException.class)
                    .hasMessageContaining("cannot store snapshot part 0").hasMessageContaining(BUCKET);
            assertThat((System.nanoTime() - t0) / 1_000_000).as("both within their bounds").isLessThan(10_000);
            assertThat(dir.resolve("spool-stopped")).isEmptyDirectory();
        }
    }
}
