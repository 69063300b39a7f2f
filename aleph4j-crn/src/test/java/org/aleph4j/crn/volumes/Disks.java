package org.aleph4j.crn.volumes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.aleph4j.crn.execution.HostFiles;
import org.junit.jupiter.api.Assumptions;

/** Helpers of the volume tests: real loop-mounted btrfs images need root and btrfs-progs. */
final class Disks {
    static final long MIB = 1024L * 1024L;

    private Disks() {}

    static void assumeUsable() {
        Assumptions.assumeTrue(HostFiles.isRoot(), "volumes need root (loop mounts)");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/btrfs")) || Files.isExecutable(Path.of("/usr/sbin/btrfs"))
                || Files.isExecutable(Path.of("/bin/btrfs")) || Files.isExecutable(Path.of("/sbin/btrfs")), "btrfs-progs is not installed");
    }

    /** Unmounts whatever a test left under {@code root}. */
    static void cleanUp(Path root) {
        try {
            VolumeDisk.cleanLeftovers(root);
        } catch (IOException ignored) {
            // nothing mounted
        }
    }

    static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Relative path to sha256 of every regular file under {@code root} (and "dir" for directories). */
    static TreeMap<String, String> digest(Path root) throws Exception {
        TreeMap<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isDirectory(p)) out.put(rel + "/", "dir");
                else out.put(rel, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    /** Blocks the file really occupies on the node's disk, in bytes. */
    static long allocatedBytes(Path file) throws Exception {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
        String[] f = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split(" ");
        p.waitFor(10, TimeUnit.SECONDS);
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }

    /** Whether the kernel lists a mount under {@code root} or a loop device backed by a file under it. */
    static List<String> kernelHolds(Path root) throws Exception {
        Path real = root.toRealPath();
        List<String> mounts = Mounts.all().stream().filter(m -> m.mountPoint().startsWith(real)).map(m -> m.mountPoint().toString()).toList();
        List<String> loops;
        try (Stream<Path> s = Files.list(Path.of("/sys/block"))) {
            loops = s.filter(d -> d.getFileName().toString().startsWith("loop"))
                    .filter(d -> {
                        Path b = Mounts.backingFile("/dev/" + d.getFileName());
                        return b != null && b.startsWith(real);
                    }).map(d -> "/dev/" + d.getFileName()).toList();
        }
        return Stream.concat(mounts.stream(), loops.stream()).toList();
    }

    /** Counts what is written to it. */
    static final class Counting extends OutputStream {
        long count;
        final ByteArrayOutputStream keep;

        Counting(boolean keep) {
            this.keep = keep ? new ByteArrayOutputStream() : null;
        }

        @Override
        public void write(int b) {
            count++;
            if (keep != null) keep.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
            if (keep != null) keep.write(b, off, len);
        }
    }
}
