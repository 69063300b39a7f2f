package org.aleph4j.crn.volumes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot parts in a real CCN's file store, uploaded with STORE messages signed by an unfunded node key. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CcnSnapshotStoreTest {
    static final int PART = 64 * 1024;
    @TempDir
    static Path dir;
    TestNetwork net;
    EthAccount node = TestNetwork.newAccount();
    CcnSnapshotStore store;

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).start();
        store = new CcnSnapshotStore(net.client(), node, dir.resolve("spool"), PART);
    }

    @AfterAll
    void stop() {
        if (net != null) net.close();
    }

    @Test
    void aStreamRoundTripsThroughPinnedPartsOfAtMostThePartSize() throws Exception {
        byte[] data = Disks.random(1, 3 * PART + 123);
        long before = net.messagesFrom(node.address());
        List<String> parts = store.put(new ByteArrayInputStream(data));
        assertThat(parts).hasSize(4);
        assertThat(parts.get(0)).isEqualTo(ItemHashes.sha256Hex(java.util.Arrays.copyOf(data, PART)));
        assertThat(net.messagesFrom(node.address())).as("one processed STORE per part").isEqualTo(before + 4);
        try (InputStream in = store.get(parts, data.length)) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        assertThat(dir.resolve("spool")).isEmptyDirectory();
        // an exact number of parts, and nothing at all
        byte[] two = Disks.random(2, 2 * PART);
        List<String> exact = store.put(new ByteArrayInputStream(two));
        assertThat(exact).hasSize(2);
        assertThat(store.get(exact, two.length).readAllBytes()).isEqualTo(two);
        assertThat(store.put(InputStream.nullInputStream())).isEmpty();
        assertThat(store.get(List.of(), 0).readAllBytes()).isEmpty();
    }

    @Test
    void theDefaultPartSizeIsSixteenMibAndAStoreOfItCostsTheNodeNothing() throws Exception {
        CcnSnapshotStore real = new CcnSnapshotStore(net.client(), node, dir.resolve("spool16"));
        byte[] data = Disks.random(3, CcnSnapshotStore.PART_BYTES + 10);
        List<String> parts = real.put(new ByteArrayInputStream(data));
        assertThat(parts).hasSize(2);
        assertThat(real.get(parts, data.length).readAllBytes()).isEqualTo(data);
    }

    @Test
    void wrongSizesMissingAndCorruptedPartsFailClearly() throws Exception {
        byte[] data = Disks.random(4, 2 * PART + 7);
        List<String> parts = store.put(new ByteArrayInputStream(data));
        assertThatThrownBy(() -> store.get(parts, data.length + 1).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("wrong size");
        assertThatThrownBy(() -> store.get(parts, data.length - 1).readAllBytes()).isInstanceOf(SnapshotCorruptException.class);
        assertThatThrownBy(() -> store.get(parts, 10L * PART)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("3 parts cannot hold");
        assertThatThrownBy(() -> store.get(List.of("../../etc"), 5)).isInstanceOf(SnapshotCorruptException.class);

        List<String> missing = new ArrayList<>(parts);
        missing.set(1, ItemHashes.sha256Hex("never stored"));
        ByteArrayCollector got = new ByteArrayCollector();
        assertThatThrownBy(() -> store.get(missing, data.length).transferTo(got)).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("part 1").hasMessageContaining("missing");
        assertThat(got.size()).as("only the first, verified part was handed out").isEqualTo(PART);

        // the CCN serves altered bytes for a ref
        Path stored = dir.resolve("ccn/files").resolve(parts.get(2).substring(0, 2)).resolve(parts.get(2));
        assertThat(stored).exists();
        byte[] bytes = Files.readAllBytes(stored);
        bytes[3] ^= 1;
        Files.write(stored, bytes);
        assertThatThrownBy(() -> store.get(parts, data.length).readAllBytes()).isInstanceOf(SnapshotCorruptException.class)
                .hasMessageContaining("part 2 hashes to");
        // a stored copy of another size the CCN itself refuses to serve (503), which is no part either
        Files.write(stored, new byte[PART + 1], StandardOpenOption.TRUNCATE_EXISTING);
        assertThatThrownBy(() -> store.get(parts, data.length).readAllBytes()).isInstanceOf(VolumeException.class)
                .hasMessageContaining("HTTP 503");
        assertThat(dir.resolve("spool")).isEmptyDirectory();
    }

    @Test
    void aCcnThatServesMoreThanAPartMayHoldIsRefused() throws Exception {
        com.sun.net.httpserver.HttpServer lying = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        lying.createContext("/", x -> {
            byte[] body = new byte[PART + 1];
            x.sendResponseHeaders(200, body.length);
            try (var out = x.getResponseBody()) {
                out.write(body);
            }
        });
        lying.start();
        try (org.aleph4j.client.CcnClient liar = new org.aleph4j.client.CcnClient(
                java.net.URI.create("http://127.0.0.1:" + lying.getAddress().getPort()), java.time.Duration.ofSeconds(5))) {
            CcnSnapshotStore fromLiar = new CcnSnapshotStore(liar, node, dir.resolve("spool-liar"), PART);
            assertThatThrownBy(() -> fromLiar.get(List.of(ItemHashes.sha256Hex("x")), PART).readAllBytes())
                    .isInstanceOf(SnapshotCorruptException.class).hasMessageContaining("larger than");
            assertThat(dir.resolve("spool-liar")).isEmptyDirectory();
        } finally {
            lying.stop(0);
        }
    }

    @Test
    void aCcnThatStallsMidPartIsGivenUpOn() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             org.aleph4j.client.CcnClient slow = new org.aleph4j.client.CcnClient(
                     java.net.URI.create("http://127.0.0.1:" + server.getLocalPort()), java.time.Duration.ofSeconds(1))) {
            Thread.ofVirtual().start(() -> {
                try (java.net.Socket s = server.accept()) {
                    s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 60000\r\n\r\n0123456789".getBytes());
                    s.getOutputStream().flush();
                    Thread.sleep(30_000);
                } catch (Exception ignored) {
                    // the client gave up
                }
            });
            CcnSnapshotStore stalled = new CcnSnapshotStore(slow, node, dir.resolve("spool-slow"), PART);
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> stalled.get(List.of(ItemHashes.sha256Hex("x")), 60_000).readAllBytes())
                    .isInstanceOf(VolumeException.class).hasMessageContaining("did not download within 2 s");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
            assertThat(dir.resolve("spool-slow")).isEmptyDirectory();
        }
    }

    /** Counts what it is given. */
    static final class ByteArrayCollector extends java.io.ByteArrayOutputStream {}
}
