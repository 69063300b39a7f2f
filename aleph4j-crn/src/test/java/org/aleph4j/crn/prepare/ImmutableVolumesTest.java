package org.aleph4j.crn.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.content.Volume;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Immutable volumes from STOREs on a real CCN, made with the real mksquashfs and prepared by the
 * real Preparer's {@link ImmutableVolumes}: what a program gets to mount, and what a stranger's
 * STORE cannot make this node do.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImmutableVolumesTest {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    @TempDir
    static Path dir;
    CodeNetwork net;
    int nodes;

    @BeforeAll
    void start() throws Exception {
        net = new CodeNetwork(dir);
    }

    @AfterAll
    void stop() {
        if (net != null) net.close();
    }

    private Path dataDir() {
        return dir.resolve("crn-" + (++nodes));
    }

    private ImmutableVolumes volumes(Path data, PrepareLimits limits) {
        return new Preparer(net.net.client(), RuntimeRegistry.defaultFor(Path.of("/usr/bin/python3")), data,
                Duration.ofSeconds(30), limits).immutableVolumes();
    }

    private ImmutableVolumes volumes(Path data) {
        return volumes(data, PrepareLimits.defaults());
    }

    private static Volume.Immutable volume(String ref, Boolean useLatest) {
        return new Volume.Immutable(null, "/data/volume", ref, useLatest);
    }

    private String store(byte[] bytes) throws Exception {
        return net.net.store(net.net.user(), bytes, null);
    }

    /** A squashfs image of {@code files} (path to text), built by mksquashfs. */
    private byte[] image(String... files) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src-" + System.nanoTime()));
        for (int i = 0; i < files.length; i += 2) {
            Path f = src.resolve(files[i]);
            Files.createDirectories(f.getParent());
            Files.writeString(f, files[i + 1]);
        }
        return CodeNetwork.squashfs(src, dir);
    }

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static int mode(Path p) throws Exception {
        return ((Number) Files.getAttribute(p, "unix:mode", NOFOLLOW)).intValue() & 07777;
    }

    private static Consumer<CrnException> status(int status, String... message) {
        return e -> {
            assertThat(e.status()).as(e.getMessage()).isEqualTo(status);
            assertThat(e.getMessage()).contains(message);
        };
    }

    @Test
    void aSquashfsStoreIsUnpackedIntoAReadOnlyTreeOwnedByRoot() throws Exception {
        byte[] img = image("README", "hello", "models/weights.bin", "w".repeat(5000), "bin/tool", "#!/bin/sh\n");
        String ref = store(img);
        Path data = dataDir();
        ImmutableVolumes volumes = volumes(data);

        ImmutableVolumes.Prepared p = volumes.prepare(volume(ref, null));

        assertThat(p.directory()).isTrue();
        assertThat(p.resolvedRef()).isEqualTo(ref);
        assertThat(p.fileHash()).isEqualTo(ItemHashes.sha256Hex(img));
        assertThat(p.hostPath()).isEqualTo(data.resolve("immutable").resolve(p.fileHash()).resolve("root").toRealPath());
        assertThat(names(p.hostPath())).containsExactly("README", "bin", "models");
        assertThat(p.hostPath().resolve("README")).hasContent("hello");
        assertThat(p.hostPath().resolve("models/weights.bin")).hasContent("w".repeat(5000));
        try (Stream<Path> s = Files.walk(p.hostPath())) {
            for (Path f : s.toList()) {
                int mode = mode(f);
                assertThat(mode).as(f + " " + Integer.toOctalString(mode)).isEqualTo(Files.isDirectory(f, NOFOLLOW) ? 0555 : 0444);
                if (SquashfsUnpacker.runningAsRoot()) assertThat(Files.getAttribute(f, "unix:uid", NOFOLLOW)).isEqualTo(0);
            }
        }
        assertThat(mode(p.hostPath().getParent())).isEqualTo(0755);
        // the second preparation reads the STORE again but reuses the entry
        Object inode = Files.readAttributes(p.hostPath(), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        ImmutableVolumes.Prepared again = volumes.prepare(volume(ref, true));
        assertThat(again).isEqualTo(p);
        assertThat(Files.readAttributes(again.hostPath(), java.nio.file.attribute.BasicFileAttributes.class).fileKey())
                .isEqualTo(inode);
        assertThat(names(data.resolve("immutable"))).containsExactly(p.fileHash());
    }

    @Test
    void anExecutableKeepsItsExecuteBitAndLinksLeavingTheImageAreDropped() throws Exception {
        Path src = Files.createDirectories(dir.resolve("src-links"));
        Files.writeString(src.resolve("run"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(src.resolve("run"), java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Files.createSymbolicLink(src.resolve("passwd"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(src.resolve("inside"), Path.of("run"));
        byte[] img = CodeNetwork.squashfs(src, dir, "null c 0666 0 0 1 3", "suid f 4777 0 0 echo x");

        ImmutableVolumes.Prepared p = volumes(dataDir()).prepare(volume(store(img), false));

        assertThat(names(p.hostPath())).containsExactly("inside", "run", "suid");
        assertThat(mode(p.hostPath().resolve("run"))).isEqualTo(0555);
        assertThat(mode(p.hostPath().resolve("suid"))).isEqualTo(0555);
        assertThat(p.hostPath().resolve("inside")).isSymbolicLink().hasContent("#!/bin/sh");
    }

    @Test
    void anyOtherFileIsKeptAsOneReadOnlyFile() throws Exception {
        byte[] bytes = "not an image: hsqs only counts at the start\n".getBytes(StandardCharsets.UTF_8);
        String ref = store(bytes);
        Path data = dataDir();

        ImmutableVolumes.Prepared p = volumes(data).prepare(volume(ref, null));

        assertThat(p.directory()).isFalse();
        assertThat(p.hostPath()).isRegularFile().hasBinaryContent(bytes);
        assertThat(p.hostPath()).isEqualTo(data.resolve("immutable").resolve(ItemHashes.sha256Hex(bytes)).resolve("file").toRealPath());
        assertThat(mode(p.hostPath())).isEqualTo(0444);
        // the volume's file is its own copy, not the file cache's
        assertThat(Files.isSameFile(p.hostPath(), data.resolve("files").resolve(p.fileHash()))).isFalse();
    }

    @Test
    void useLatestFollowsTheOwnersNewestAmendAndPinnedRefsStayOnTheOriginal() throws Exception {
        String original = store(image("version", "1"));
        Path data = dataDir();
        ImmutableVolumes volumes = volumes(data);
        assertThat(volumes.prepare(volume(original, null)).hostPath().resolve("version")).hasContent("1");

        net.net.store(net.net.user(), image("version", "2"), original);
        String newest = net.net.store(net.net.user(), image("version", "3"), original);
        // a STORE of someone else naming the user's STORE as its ref: not an amend (the CCN refuses it too)
        EthAccount stranger = TestNetwork.newAccount();
        net.net.fund(stranger.address(), 1_000_000);
        assertThatThrownBy(() -> net.net.store(stranger, image("version", "evil"), original))
                .hasMessageContaining("only the owner");

        ImmutableVolumes.Prepared latest = volumes.prepare(volume(original, null));
        assertThat(latest.resolvedRef()).isEqualTo(newest);
        assertThat(latest.hostPath().resolve("version")).hasContent("3");
        ImmutableVolumes.Prepared pinned = volumes.prepare(volume(original, false));
        assertThat(pinned.resolvedRef()).isEqualTo(original);
        assertThat(pinned.hostPath().resolve("version")).hasContent("1");
        assertThat(pinned.fileHash()).isNotEqualTo(latest.fileHash());
    }

    @Test
    void aMissingMalformedOrNonStoreRefIsRefusedAndLeavesNothing() throws Exception {
        Path data = dataDir();
        ImmutableVolumes volumes = volumes(data);
        String missing = ItemHashes.sha256Hex("no such message".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> volumes.prepare(volume(missing, null)))
                .isInstanceOfSatisfying(CrnException.class, status(400, "volume STORE " + missing + " not found"));
        assertThatThrownBy(() -> volumes.prepare(volume(missing, false)))
                .isInstanceOfSatisfying(CrnException.class, status(400, "not found"));
        assertThatThrownBy(() -> volumes.prepare(volume("../../etc/passwd", null)))
                .isInstanceOfSatisfying(CrnException.class, status(422, "is not an item hash"));
        assertThatThrownBy(() -> volumes.prepare(volume(null, false)))
                .isInstanceOfSatisfying(CrnException.class, status(422, "is not an item hash"));
        String program = net.net.program(net.net.zipProgram(store(SamplePrograms.binaryZip("v")), "run.sh"));
        assertThatThrownBy(() -> volumes.prepare(volume(program, null)))
                .isInstanceOfSatisfying(CrnException.class, status(400, "volume ref " + program + " is a PROGRAM, not a STORE"));
        assertThat(names(data.resolve("immutable"))).isEmpty();
    }

    @Test
    void aForgottenStoreIsRefusedEvenOnceCached() throws Exception {
        String ref = store("soon forgotten".getBytes(StandardCharsets.UTF_8));
        ImmutableVolumes volumes = volumes(dataDir());
        volumes.prepare(volume(ref, false));

        net.net.forget(net.net.user(), ref);

        assertThatThrownBy(() -> volumes.prepare(volume(ref, false)))
                .isInstanceOfSatisfying(CrnException.class, status(400, "volume STORE " + ref + " is forgotten"));
        assertThatThrownBy(() -> volumes.prepare(volume(ref, true)))
                .isInstanceOfSatisfying(CrnException.class, status(400, "forgotten"));
    }

    @Test
    void aCorruptSquashfsImageIsRefusedWithoutAHalfMadeEntryAndTheFailureIsRemembered() throws Exception {
        Random random = new Random(7);
        byte[] noise = new byte[150_000];
        random.nextBytes(noise);
        // incompressible content: the image's tables sit past its first half
        byte[] good = image("a", java.util.Base64.getEncoder().encodeToString(noise));
        byte[] garbled = good.clone();
        for (int i = 4; i < garbled.length; i++) garbled[i] = (byte) random.nextInt();
        byte[] truncated = Arrays.copyOf(good, good.length / 2);
        Path data = dataDir();
        ImmutableVolumes volumes = volumes(data);

        for (byte[] bad : List.of(garbled, truncated)) {
            String ref = store(bad);
            assertThatThrownBy(() -> volumes.prepare(volume(ref, null)))
                    .isInstanceOfSatisfying(CrnException.class, status(400, "volume file " + ItemHashes.sha256Hex(bad)
                            + " (squashfs) could not be unpacked", "not a valid squashfs image"));
            // remembered: the second refusal neither downloads nor unpacks again
            Path cached = data.resolve("files").resolve(ItemHashes.sha256Hex(bad));
            assertThat(cached).isRegularFile();
            Files.delete(cached);
            assertThatThrownBy(() -> volumes.prepare(volume(ref, null)))
                    .isInstanceOfSatisfying(CrnException.class, status(400, "could not be unpacked"));
            assertThat(cached).doesNotExist();
        }
        assertThat(names(data.resolve("immutable"))).isEmpty();
    }

    @Test
    void aFileOrImageLargerThanTheLimitIsRefused() throws Exception {
        PrepareLimits limits = PrepareLimits.defaults().withMaxUnpackedBytes(64 * 1024);
        Path data = dataDir();
        ImmutableVolumes volumes = volumes(data, limits);
        byte[] big = new byte[100_000];
        new Random(1).nextBytes(big);
        String ref = store(big);

        assertThatThrownBy(() -> volumes.prepare(volume(ref, null)))
                .isInstanceOfSatisfying(CrnException.class, e -> {
                    status(400, "holds 100000 bytes, more than 65536", "max_unpacked_bytes").accept(e);
                    assertThat(e.details()).containsEntry("limit", "max_unpacked_bytes");
                });
        // refused on the STORE's word, before downloading
        assertThat(data.resolve("files").resolve(ItemHashes.sha256Hex(big))).doesNotExist();

        byte[] bomb = image("zeros", "\0".repeat(1_000_000));
        assertThat(bomb.length).isLessThan(64 * 1024);
        String bombRef = store(bomb);
        assertThatThrownBy(() -> volumes.prepare(volume(bombRef, null)))
                .isInstanceOfSatisfying(CrnException.class, status(400, "unpacks to more than 65536 bytes"));
        assertThat(names(data.resolve("immutable"))).isEmpty();
    }

    @Test
    void concurrentPreparationsOfOneRefShareOneEntryBuiltOnce() throws Exception {
        String ref = store(image("data/big", "y".repeat(2_000_000), "small", "s"));
        Path data = dataDir();
        ImmutableVolumes volumes = volumes(data);
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Object[]>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    ImmutableVolumes.Prepared p = volumes.prepare(volume(ref, null), "holder");
                    Object inode = Files.readAttributes(p.hostPath().resolve("small"),
                            java.nio.file.attribute.BasicFileAttributes.class, NOFOLLOW).fileKey();
                    return new Object[] {p, inode};
                }));
            }
            go.countDown();
            List<Object[]> all = new ArrayList<>();
            for (Future<Object[]> f : results) all.add(f.get());
            assertThat(all).extracting(r -> r[0]).containsOnly(all.get(0)[0]);
            // had any preparation rebuilt the entry, it would have replaced the tree another had returned
            assertThat(all).extracting(r -> r[1]).containsOnly(all.get(0)[1]);
            ImmutableVolumes.Prepared p = (ImmutableVolumes.Prepared) all.get(0)[0];
            assertThat(p.hostPath().resolve("data/big")).hasSize(2_000_000);
            assertThat(names(data.resolve("immutable"))).containsExactly(p.fileHash());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void pinnedVolumesSurviveEvictionAndUnpinnedOnesGoLeastRecentlyUsedFirst() throws Exception {
        // room for two entries of about 40 kB, not three
        PrepareLimits limits = PrepareLimits.defaults().withCacheBytes(PrepareLimits.GIB, 100_000);
        Path data = dataDir();
        ImmutableVolumes volumes = volumes(data, limits);
        byte[][] files = new byte[3][];
        for (int i = 0; i < 3; i++) {
            files[i] = new byte[40_000];
            new Random(i).nextBytes(files[i]);
        }
        ImmutableVolumes.Prepared a = volumes.prepare(volume(store(files[0]), null), "exec-1");
        ImmutableVolumes.Prepared b = volumes.prepare(volume(store(files[1]), null));
        ImmutableVolumes.Prepared c = volumes.prepare(volume(store(files[2]), null));

        assertThat(a.hostPath()).exists();
        assertThat(b.hostPath()).doesNotExist();
        assertThat(c.hostPath()).exists();

        volumes.unpin("exec-1");
        ImmutableVolumes.Prepared b2 = volumes.prepare(volume(store(files[1]), null));
        assertThat(a.hostPath()).doesNotExist();
        assertThat(b2.hostPath()).hasBinaryContent(files[1]);
        assertThat(c.hostPath()).exists();
    }

    @Test
    void aRestartedNodeFindsItsEntriesAndDropsLeftovers() throws Exception {
        String ref = store("kept across restarts".getBytes(StandardCharsets.UTF_8));
        Path data = dataDir();
        ImmutableVolumes.Prepared p = volumes(data).prepare(volume(ref, null));
        Path leftover = Files.createDirectories(data.resolve("immutable").resolve(Preparer.TMP + p.fileHash()).resolve("x"));
        Path broken = Files.createDirectories(data.resolve("immutable").resolve("f".repeat(64)));
        Path stranger = Files.createDirectories(data.resolve("immutable").resolve("not-a-hash"));

        ImmutableVolumes.Prepared again = volumes(data).prepare(volume(ref, null));

        assertThat(again).isEqualTo(p);
        assertThat(leftover.getParent()).doesNotExist();
        assertThat(broken).doesNotExist();
        assertThat(stranger).doesNotExist();
    }
}
