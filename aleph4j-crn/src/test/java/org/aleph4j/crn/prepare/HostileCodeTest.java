package org.aleph4j.crn.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.message.content.Encoding;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile code archives, built with the real mksquashfs and zip writers, published on a real CCN
 * and prepared by the real Preparer: the attacker gains nothing outside the program's own code.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileCodeTest {
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

    private Preparer preparer(Path data, Duration unpackTimeout, PrepareLimits limits) {
        return new Preparer(net.net.client(), RuntimeRegistry.defaultFor(Path.of("/usr/bin/python3")), data, unpackTimeout, limits);
    }

    private Preparer preparer(Path data) {
        return preparer(data, Duration.ofSeconds(30), PrepareLimits.defaults());
    }

    private Path src(String name) throws Exception {
        return Files.createDirectories(dir.resolve("src-" + name + "-" + System.nanoTime()));
    }

    private static List<String> tree(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !p.equals(root)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void anImageHoldingOnlyALinkToTheHostRootNeverMakesTheHostRootTheCode() throws Exception {
        Path src = src("root-link");
        Files.createSymbolicLink(src.resolve("x"), Path.of("/"));
        Path data = dataDir();
        Preparer preparer = preparer(data);

        var prepared = preparer.prepare(net.program(CodeNetwork.squashfs(src, dir), Encoding.SQUASHFS, "etc/passwd"));

        assertThat(prepared.codeDir()).startsWith(data.resolve("code").toRealPath()).isNotEqualTo(Path.of("/"));
        assertThat(prepared.codeDir().toRealPath()).isEqualTo(prepared.codeDir());
        assertThat(tree(prepared.codeDir())).isEmpty();
        assertThatThrownBy(() -> CodeTree.entrypoint(prepared.codeDir(), "x/etc/passwd"))
                .isInstanceOfSatisfying(CrnException.class, e -> assertThat(e.status()).isEqualTo(400));
        assertThatThrownBy(() -> CodeTree.entrypoint(prepared.codeDir(), "etc/passwd"))
                .isInstanceOfSatisfying(CrnException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void linksThatLeaveTheTreeAreDroppedAndLinksInsideItStay() throws Exception {
        Path src = src("links");
        Files.writeString(src.resolve("run.sh"), "#!/bin/sh\necho hi\n");
        Files.createDirectories(src.resolve("lib/deep"));
        Files.writeString(src.resolve("lib/deep/data.txt"), "inside");
        Files.createSymbolicLink(src.resolve("rel"), Path.of("run.sh"));
        Files.createSymbolicLink(src.resolve("libs"), Path.of("lib"));
        Files.createSymbolicLink(src.resolve("lib/deep/up"), Path.of("../../run.sh"));
        Files.createSymbolicLink(src.resolve("abs"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(src.resolve("climb"), Path.of("../../../../../../etc/passwd"));
        Files.createSymbolicLink(src.resolve("lib/out"), Path.of("../.."));
        Files.createSymbolicLink(src.resolve("chain"), Path.of("lib/out/etc"));
        Files.createSymbolicLink(src.resolve("self"), Path.of("."));
        // lexically inside, but through "self" it steps above the tree and back into a sibling cache entry
        Files.createSymbolicLink(src.resolve("sibling"), Path.of("self/../other-entry/secret"));
        Files.createSymbolicLink(src.resolve("dangling"), Path.of("missing/file"));
        Files.createSymbolicLink(src.resolve("loop"), Path.of("loop"));
        Path data = dataDir();
        Files.createDirectories(data.resolve("code/other-entry"));
        Files.writeString(data.resolve("code/other-entry/secret"), "another program's code");

        var prepared = preparer(data).prepare(net.program(CodeNetwork.squashfs(src, dir), Encoding.SQUASHFS, "run.sh"));

        Path root = prepared.codeDir();
        assertThat(tree(root)).containsExactlyInAnyOrder("lib", "lib/deep", "lib/deep/data.txt", "lib/deep/up", "libs",
                "rel", "run.sh", "self");
        assertThat(root.resolve("rel")).content().contains("echo hi");
        assertThat(root.resolve("libs/deep/data.txt")).hasContent("inside");
        assertThat(CodeTree.entrypoint(root, "rel")).isEqualTo(root.resolve("run.sh"));
        assertThat(CodeTree.entrypoint(root, "libs/deep/up")).isEqualTo(root.resolve("run.sh"));
    }

    @Test
    void anEntrypointLinkedToAHostFileIsRefusedAndTheHostFileKeepsItsMode() throws Exception {
        Path hostFile = Files.writeString(dir.resolve("host-secret"), "root's secret");
        Files.setPosixFilePermissions(hostFile, PosixFilePermissions.fromString("rw-------"));
        Path src = src("entry-link");
        Files.createSymbolicLink(src.resolve("run"), hostFile);
        Files.writeString(src.resolve("other"), "x");
        Path data = dataDir();

        var prepared = preparer(data).prepare(net.program(CodeNetwork.squashfs(src, dir), Encoding.SQUASHFS, "run"));

        assertThat(prepared.codeDir().resolve("run")).doesNotExist();
        assertThatThrownBy(() -> CodeTree.entrypoint(prepared.codeDir(), "run"))
                .isInstanceOfSatisfying(CrnException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("entrypoint run is not a file of the program's code");
                });
        assertThatThrownBy(() -> CodeTree.entrypoint(prepared.codeDir(), "../../../../../../" + hostFile))
                .isInstanceOf(CrnException.class);
        assertThatThrownBy(() -> CodeTree.entrypoint(prepared.codeDir(), hostFile.toString()))
                .isInstanceOf(CrnException.class);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hostFile))).isEqualTo("rw-------");
    }

    @Test
    void deviceNodesFifosAndSocketsAreNeverCreatedAndEverythingBelongsToRoot() throws Exception {
        Path src = src("devices");
        Files.writeString(src.resolve("run.sh"), "#!/bin/sh\n");
        Path data = dataDir();

        var prepared = preparer(data).prepare(net.program(CodeNetwork.squashfs(src, dir,
                "disk b 0666 0 0 8 0", "mem c 0666 0 0 1 1", "null c 0666 0 0 1 3", "pipe i 0666 0 0 f",
                "sock i 0777 0 0 s", "dir d 0755 0 0", "dir/kmsg c 0666 0 0 1 11"), Encoding.SQUASHFS, "run.sh"));

        Path root = prepared.codeDir();
        assertThat(tree(root)).containsExactlyInAnyOrder("dir", "run.sh");
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                assertThat(Files.isRegularFile(p, NOFOLLOW) || Files.isDirectory(p, NOFOLLOW)).as(p.toString()).isTrue();
                if (SquashfsUnpacker.runningAsRoot()) {
                    assertThat(Files.getAttribute(p, "unix:uid", NOFOLLOW)).as(p.toString()).isEqualTo(0);
                }
            }
        }
    }

    @Test
    void setuidSetgidStickyAndWorldWritableModesAreStripped() throws Exception {
        Path src = src("modes");
        Files.writeString(src.resolve("run.sh"), "#!/bin/sh\n");
        Path data = dataDir();

        var prepared = preparer(data).prepare(net.program(CodeNetwork.squashfs(src, dir,
                "suid f 4755 0 0 echo suid", "sgid f 2755 0 0 echo sgid", "open f 0777 0 0 echo open",
                "shared d 1777 0 0", "shared/x f 6755 0 0 echo x"), Encoding.SQUASHFS, "run.sh"));

        Path root = prepared.codeDir();
        assertThat(tree(root)).contains("suid", "sgid", "open", "shared/x");
        for (String name : List.of("suid", "sgid", "open", "shared", "shared/x", ".")) {
            int mode = ((Number) Files.getAttribute(root.resolve(name), "unix:mode", NOFOLLOW)).intValue();
            assertThat(mode & 07022).as(name + " mode " + Integer.toOctalString(mode)).isZero();
        }
        assertThat(Files.isExecutable(root.resolve("suid"))).isTrue();

        // zip carries modes in its central directory: only "executable" is ever taken from it
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(bos)) {
            ZipArchiveEntry e = new ZipArchiveEntry("run");
            e.setUnixMode(0106777);
            z.putArchiveEntry(e);
            z.write("#!/bin/sh\n".getBytes(StandardCharsets.UTF_8));
            z.closeArchiveEntry();
        }
        var zipped = preparer(data).prepare(net.program(bos.toByteArray(), Encoding.ZIP, "run"));
        int mode = ((Number) Files.getAttribute(zipped.codeDir().resolve("run"), "unix:mode", NOFOLLOW)).intValue();
        assertThat(mode & 07022).as(Integer.toOctalString(mode)).isZero();
        assertThat(mode & 0100).isNotZero();
    }

    @Test
    void hardLinksInsideAnImageStayAndAFileLinkedToTheHostIsDropped() throws Exception {
        Path src = src("hard");
        Files.writeString(src.resolve("a"), "shared data");
        Files.createLink(src.resolve("b"), src.resolve("a"));
        var prepared = preparer(dataDir()).prepare(net.program(CodeNetwork.squashfs(src, dir), Encoding.SQUASHFS, "a"));
        assertThat(prepared.codeDir().resolve("b")).hasContent("shared data");

        // unsquashfs only links what it unpacked; the walk still refuses a name for a file outside the tree
        Path tree = Files.createDirectories(dir.resolve("tree-" + System.nanoTime()));
        Path host = Files.writeString(dir.resolve("host-" + System.nanoTime()), "host");
        Files.createLink(tree.resolve("x"), host);
        Files.writeString(tree.resolve("y"), "mine");
        CodeTree.sanitize(tree, PrepareLimits.defaults(), false);
        assertThat(names(tree)).containsExactly("y");
        assertThat(host).hasContent("host");
    }

    @Test
    void aZipBombIsRefusedByCountingWhatItReallyUnpacks() throws Exception {
        PrepareLimits limits = PrepareLimits.defaults().withMaxUnpackedBytes(1024 * 1024);
        Path data = dataDir();
        Preparer preparer = preparer(data, Duration.ofSeconds(30), limits);
        // one entry of 8 MiB of zeros (a few KiB compressed), and three entries that pass alone but not together
        byte[] bomb = zip(Map.of("run", new byte[8 * 1024 * 1024]));
        byte[] many = zip(Map.of("run", new byte[400 * 1024], "b", new byte[400 * 1024], "c", new byte[400 * 1024]));

        for (byte[] archive : List.of(bomb, many)) {
            assertThatThrownBy(() -> preparer.prepare(net.program(archive, Encoding.ZIP, "run")))
                    .isInstanceOfSatisfying(CrnException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.getMessage()).contains("more than 1048576 bytes", "max_unpacked_bytes");
                        assertThat(e.details()).containsEntry("limit", "max_unpacked_bytes").containsEntry("max", 1048576L);
                    });
        }
        assertThat(names(data.resolve("code"))).isEmpty();
    }

    @Test
    void anArchiveWithTooManyEntriesIsRefusedNamingTheLimit() throws Exception {
        PrepareLimits limits = PrepareLimits.defaults().withMaxEntries(20);
        Path data = dataDir();
        Preparer preparer = preparer(data, Duration.ofSeconds(30), limits);
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 50; i++) files.put("f" + i, new byte[] {1});
        Path src = src("many");
        for (int i = 0; i < 50; i++) Files.write(src.resolve("f" + i), new byte[] {1});

        for (var program : List.of(net.program(zip(files), Encoding.ZIP, "f0"),
                net.program(CodeNetwork.squashfs(src, dir), Encoding.SQUASHFS, "f0"))) {
            assertThatThrownBy(() -> preparer.prepare(program))
                    .isInstanceOfSatisfying(CrnException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.getMessage()).contains("more than 20 entries", "max_entries");
                        assertThat(e.details()).containsEntry("limit", "max_entries");
                    });
        }
        assertThat(names(data.resolve("code"))).isEmpty();
    }

    @Test
    void aSquashfsImageThatUnpacksTooLargeIsRefusedBeforeItIsWritten() throws Exception {
        Path src = src("big");
        byte[] big = new byte[3 * 1024 * 1024];
        new Random(7).nextBytes(big);
        Files.write(src.resolve("run"), big);
        Path data = dataDir();
        Preparer preparer = preparer(data, Duration.ofSeconds(30), PrepareLimits.defaults().withMaxUnpackedBytes(2 * 1024 * 1024));

        assertThatThrownBy(() -> preparer.prepare(net.program(CodeNetwork.squashfs(src, dir), Encoding.SQUASHFS, "run")))
                .isInstanceOfSatisfying(CrnException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("max_unpacked_bytes");
                });
        assertThat(names(data.resolve("code"))).isEmpty();
    }

    @Test
    void overlongAndOverdeepPathsAreRefused() throws Exception {
        Path data = dataDir();
        Preparer preparer = preparer(data);
        String longName = String.join("/", java.util.Collections.nCopies(21, "d".repeat(200))) + "/run";
        assertThatThrownBy(() -> preparer.prepare(net.program(zip(Map.of(longName, new byte[1])), Encoding.ZIP, "run")))
                .isInstanceOfSatisfying(CrnException.class, e -> assertThat(e.getMessage()).contains("max_path_length"));
        String deep = "d/".repeat(200) + "run";
        assertThatThrownBy(() -> preparer.prepare(net.program(zip(Map.of(deep, new byte[1])), Encoding.ZIP, "run")))
                .isInstanceOfSatisfying(CrnException.class, e -> assertThat(e.getMessage()).contains("max_path_depth"));
    }

    @Test
    void unsquashfsIsKilledWhenItsDeadlinePassesAndTheFailureIsNotRetried() throws Exception {
        Path src = src("slow");
        Random rnd = new Random(3);
        for (int i = 0; i < 64; i++) {
            byte[] b = new byte[128 * 1024];
            rnd.nextBytes(b);
            Files.write(src.resolve("f" + i), b);
        }
        Path data = dataDir();
        Preparer preparer = preparer(data, Duration.ofMillis(1), PrepareLimits.defaults());
        ProgramInfo program = net.program(CodeNetwork.squashfs(src, dir), Encoding.SQUASHFS, "f0");

        long t0 = System.nanoTime();
        assertThatThrownBy(() -> preparer.prepare(program))
                .isInstanceOfSatisfying(CrnException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("unsquashfs did not finish within 1 ms");
                    assertThat(e.details()).containsEntry("limit", "unpack_timeout");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(processesWorkingUnder(data)).isEmpty();

        long t1 = System.nanoTime();
        assertThatThrownBy(() -> preparer.prepare(program)).hasMessageContaining("unsquashfs did not finish within 1 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - t1)).isLessThan(Duration.ofSeconds(5));
        assertThat(names(data.resolve("code"))).isEmpty();
    }

    @Test
    void aFailedUnpackIsRememberedAndLeavesNoTemporaryDirectories() throws Exception {
        Path data = dataDir();
        Preparer preparer = preparer(data);
        byte[] garbage = "this is not a zip archive at all".getBytes(StandardCharsets.UTF_8);
        ProgramInfo program = net.program(garbage, Encoding.ZIP, "run");

        String first = null;
        for (int i = 0; i < 3; i++) {
            CrnException e = org.junit.jupiter.api.Assertions.assertThrows(CrnException.class, () -> preparer.prepare(program));
            assertThat(e.status()).isEqualTo(400);
            if (first == null) first = e.getMessage();
            assertThat(e.getMessage()).isEqualTo(first).contains("could not be unpacked");
            // were it unpacked again, a valid archive in its place would now succeed
            Files.write(data.resolve("files").resolve(program.itemHash()), zip(Map.of("run", new byte[] {1})));
        }
        assertThat(names(data.resolve("code"))).isEmpty();
        assertThat(names(data.resolve("files"))).containsExactly(program.itemHash());
    }

    @Test
    void leftoversOfACrashAndUnsafeCodeFromBeforeAreCleanedAtStart() throws Exception {
        Path data = dataDir();
        Path code = Files.createDirectories(data.resolve("code"));
        String hash = "ab".repeat(32);
        Path old = Files.createDirectories(code.resolve(hash + "-squashfs"));
        Files.writeString(old.resolve("run"), "x");
        Files.createSymbolicLink(old.resolve("x"), Path.of("/"));
        Files.createDirectories(code.resolve(hash + "-zip.tmp-42/root"));
        Files.createDirectories(code.resolve(".tmp-" + hash + "-zip"));
        Files.createDirectories(data.resolve("files"));
        Files.writeString(data.resolve("files/.download-123.tmp"), "partial");

        preparer(data);

        assertThat(names(code)).containsExactly(hash + "-squashfs");
        assertThat(names(old)).containsExactly("run");
        assertThat(names(data.resolve("files"))).isEmpty();
    }

    @Test
    void theCachesStayWithinTheirBoundAndPinnedCodeIsNeverEvicted() throws Exception {
        long kib = 1024;
        PrepareLimits limits = PrepareLimits.defaults().withCacheBytes(350 * kib, 350 * kib);
        Path data = dataDir();
        Preparer preparer = preparer(data, Duration.ofSeconds(30), limits);
        List<ProgramInfo> programs = new ArrayList<>();
        Random rnd = new Random(11);
        for (int i = 0; i < 5; i++) {
            byte[] b = new byte[100 * 1024];
            rnd.nextBytes(b);
            programs.add(net.program(zip(Map.of("run", b)), Encoding.ZIP, "run"));
        }

        var a = preparer.prepare(programs.get(0), "exec-a");
        var b = preparer.prepare(programs.get(1));
        for (int i = 2; i < 5; i++) {
            preparer.prepare(programs.get(i));
            assertThat(CodeTree.size(data.resolve("code"))).isLessThanOrEqualTo(350 * kib);
            assertThat(CodeTree.size(data.resolve("files"))).isLessThanOrEqualTo(350 * kib);
        }

        assertThat(a.codeDir().resolve("run")).exists();
        assertThat(preparer.pinned(a.codeDir())).isTrue();
        assertThat(b.codeDir()).doesNotExist();
        assertThat(names(data.resolve("code"))).hasSize(3);

        preparer.unpin("exec-a");
        preparer.prepare(programs.get(1));
        assertThat(a.codeDir()).doesNotExist();
        assertThat(CodeTree.size(data.resolve("code"))).isLessThanOrEqualTo(350 * kib);
    }

    @Test
    void concurrentPreparationsUnderEvictionPressureAlwaysGetTheirCode() throws Exception {
        PrepareLimits limits = PrepareLimits.defaults().withCacheBytes(150 * 1024, 150 * 1024);
        Preparer preparer = preparer(dataDir(), Duration.ofSeconds(30), limits);
        List<ProgramInfo> programs = new ArrayList<>();
        Random rnd = new Random(5);
        for (int i = 0; i < 4; i++) {
            byte[] b = new byte[60 * 1024];
            rnd.nextBytes(b);
            programs.add(net.program(zip(Map.of("run", b)), Encoding.ZIP, "run"));
        }
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 15; i++) {
                        String holder = "exec-" + id + "-" + i;
                        var p = preparer.prepare(programs.get((id + i) % programs.size()), holder);
                        assertThat(p.codeDir().resolve("run")).isRegularFile();
                        preparer.unpin(holder);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) t.join(Duration.ofSeconds(60));
        assertThat(failures).isEmpty();
    }

    /** Processes (unsquashfs, left running) whose working directory is under {@code data}. */
    private static List<Long> processesWorkingUnder(Path data) throws Exception {
        List<Long> pids = new ArrayList<>();
        Path real = data.toRealPath();
        try (var ds = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : ds) {
                try {
                    if (Files.readSymbolicLink(p.resolve("cwd")).startsWith(real)) pids.add(Long.parseLong(p.getFileName().toString()));
                } catch (Exception ignored) {
                    // exited meanwhile
                }
            }
        }
        return pids;
    }

    static byte[] zip(Map<String, byte[]> files) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (var e : files.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }
}
