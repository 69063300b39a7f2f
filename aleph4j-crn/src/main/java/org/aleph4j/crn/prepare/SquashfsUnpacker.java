package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Unpacks a squashfs image with {@code unsquashfs}, which the node never runs with its own
 * privileges on a stranger's image: as root it switches to nobody (so it cannot create device nodes,
 * root-owned files or set-id files), with a file size limit and without xattrs. Before anything is
 * written the image's listing is checked against the limits; the whole run has one deadline, and
 * the tool is killed by pid when it passes.
 */
final class SquashfsUnpacker {
    static final int NOBODY = 65534;
    /** 128 + SIGXFSZ: the file size limit stopped the tool. */
    private static final int EXIT_FILE_TOO_LARGE = 128 + 25;
    /** {@code -lln}: type and permissions, uid/gid, size (or major, minor), date, time, path. */
    private static final Pattern LISTING = Pattern.compile(
            "([-dlbcps])\\S{9}\\s+\\d+/\\d+\\s+(\\d+|\\d+,\\s*\\d+)\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d squashfs-root(/.*)?");
    private static final String IMAGE = "/proc/self/fd/0";

    private SquashfsUnpacker() {}

    /** True when this JVM runs as root, so tools must drop to nobody before reading a stranger's file. */
    static boolean runningAsRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Unpacks {@code image} under {@code work} (an empty directory only the node can reach) and
     * returns the unpacked root, handed back to root and sanitized by the caller.
     */
    static Path unsquash(Path image, Path work, PrepareLimits limits, Duration timeout, boolean asRoot) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> prefix = new ArrayList<>();
        if (asRoot) {
            Path setpriv = Path.of("/usr/bin/setpriv");
            if (!Files.isExecutable(setpriv)) {
                throw UnpackException.nodeFault("setpriv is missing: this node cannot unpack squashfs safely");
            }
            prefix.addAll(List.of(setpriv.toString(), "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups",
                    "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"));
        }
        prefix.addAll(List.of("prlimit", "--fsize=" + limits.maxUnpackedBytes(), "--core=0", "--"));
        // the tool reads the image through its stdin, opened by the node: it needs no path to the node's files
        Files.setPosixFilePermissions(image, CodeTree.permissions(0644));
        Path out = work.resolve("img");
        Files.createDirectory(out);
        Files.setPosixFilePermissions(out, CodeTree.permissions(0700));
        if (asRoot) {
            Files.setAttribute(out, "unix:uid", NOBODY, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(out, "unix:gid", NOBODY, LinkOption.NOFOLLOW_LINKS);
        }

        List<String> list = new ArrayList<>(prefix);
        list.addAll(List.of("unsquashfs", "-lln", "-no-progress", IMAGE));
        Listing listing = new Listing(limits);
        BoundedProcess.Result r = BoundedProcess.run("unsquashfs", list, out, image, deadline, timeout,
                limits.maxPathLength() + 256, pathTooLong(limits), listing::line);
        if (r.exitCode() != 0) throw invalid(r);
        if (listing.entries == 0) throw new UnpackException("not a valid squashfs image (it lists no entry)");

        List<String> extract = new ArrayList<>(prefix);
        extract.addAll(List.of("unsquashfs", "-no-xattrs", "-quiet", "-no-progress", "-d", "root", IMAGE));
        r = BoundedProcess.run("unsquashfs", extract, out, image, deadline, timeout, 64 * 1024,
                new UnpackException("unsquashfs printed an overlong line"), line -> {});
        if (r.exitCode() == EXIT_FILE_TOO_LARGE) throw tooLarge(limits);
        // 2: non-fatal errors, such as the device nodes an unprivileged tool refuses to create
        if (r.exitCode() != 0 && r.exitCode() != 2) throw invalid(r);
        Path root = out.resolve("root");
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) throw new UnpackException("not a valid squashfs image");
        return root;
    }

    /** Counts entries and bytes of a listing as it streams, refusing it as soon as a limit is passed. */
    private static final class Listing {
        final PrepareLimits limits;
        long entries;
        long bytes;

        Listing(PrepareLimits limits) {
            this.limits = limits;
        }

        void line(String line) throws UnpackException {
            Matcher m = LISTING.matcher(line);
            if (!m.matches()) {
                // an entry name holding a line break makes its listing line look like this
                throw new UnpackException("unexpected squashfs listing line (entry names must not hold line breaks): "
                        + ZipUnpacker.printable(line));
            }
            String path = m.group(3);
            if (path == null) return; // the image's root
            if (++entries > limits.maxEntries()) {
                throw UnpackException.limit("the archive holds more than " + limits.maxEntries() + " entries", "max_entries",
                        limits.maxEntries());
            }
            String name = path.substring(1);
            if (m.group(1).equals("l")) {
                int arrow = name.indexOf(" -> ");
                if (arrow >= 0) name = name.substring(0, arrow);
            }
            CodeTree.checkPath(name, limits);
            if (m.group(1).equals("-")) {
                try {
                    bytes = Math.addExact(bytes, Long.parseLong(m.group(2)));
                } catch (ArithmeticException | NumberFormatException e) {
                    throw tooLarge(limits);
                }
                if (bytes > limits.maxUnpackedBytes()) throw tooLarge(limits);
            }
        }
    }

    private static UnpackException tooLarge(PrepareLimits limits) {
        return UnpackException.limit("the archive unpacks to more than " + limits.maxUnpackedBytes() + " bytes",
                "max_unpacked_bytes", limits.maxUnpackedBytes());
    }

    private static UnpackException pathTooLong(PrepareLimits limits) {
        return UnpackException.limit("an entry's path is longer than " + limits.maxPathLength() + " characters",
                "max_path_length", limits.maxPathLength());
    }

    private static UnpackException invalid(BoundedProcess.Result r) {
        String last = r.stderrTail().strip().lines().reduce((a, b) -> b).orElse("exit " + r.exitCode());
        return new UnpackException("not a valid squashfs image (unsquashfs: " + ZipUnpacker.printable(last) + ")");
    }
}
