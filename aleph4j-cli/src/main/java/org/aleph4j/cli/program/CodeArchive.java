package org.aleph4j.cli.program;

import org.aleph4j.cli.CliException;
import org.aleph4j.message.content.Encoding;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Code packaging as upstream's CLI does it (reference §3.3): a directory becomes a squashfs image
 * when {@code mksquashfs} is on the PATH, else a zip; a file must be a squashfs image or a zip.
 * Archives are written to a temporary directory (not next to the user's code) and deleted by
 * {@link #close()}.
 */
public record CodeArchive(Path file, Encoding encoding, Path tempDir) implements AutoCloseable {
    private static final long MKSQUASHFS_TIMEOUT_S = 300;

    /**
     * Packs {@code path}. {@code required} forces an encoding (for updates, which must keep the
     * original one); null picks as upstream does.
     */
    public static CodeArchive pack(Path path, Encoding required, Map<String, String> env) throws IOException {
        if (!Files.exists(path)) throw CliException.usage("no such file or directory: " + path);
        if (Files.isDirectory(path)) {
            Path mksquashfs = required == Encoding.ZIP ? null : findOnPath("mksquashfs", env);
            if (required == Encoding.SQUASHFS && mksquashfs == null) {
                throw new CliException("this program's code is squashfs but mksquashfs is not installed — install squashfs-tools");
            }
            if (required == Encoding.PLAIN) throw CliException.usage("plain-encoded code must be uploaded as a single file");
            Path tmp = Files.createTempDirectory("aleph-code-");
            String base = path.toAbsolutePath().normalize().getFileName() == null ? "code"
                    : path.toAbsolutePath().normalize().getFileName().toString();
            try {
                if (mksquashfs != null) {
                    Path out = tmp.resolve(base + ".squashfs");
                    squash(mksquashfs, path, out);
                    return new CodeArchive(out, Encoding.SQUASHFS, tmp);
                }
                Path out = tmp.resolve(base + ".zip");
                zip(path, out);
                return new CodeArchive(out, Encoding.ZIP, tmp);
            } catch (IOException | RuntimeException e) {
                deleteTree(tmp);
                throw e;
            }
        }
        Encoding found = isSquashfs(path) ? Encoding.SQUASHFS : isZip(path) ? Encoding.ZIP : null;
        if (found == null) {
            throw new CliException(path + " is neither a zip nor a squashfs file — pass a directory or a .zip/.squashfs archive", 3);
        }
        if (required != null && found != required) {
            throw CliException.usage(path + " is " + found.value() + " but the program's code is " + required.value()
                    + " — the encoding cannot change on update");
        }
        return new CodeArchive(path, found, null);
    }

    static Path findOnPath(String exe, Map<String, String> env) {
        String pathVar = env.getOrDefault("PATH", "");
        for (String dir : pathVar.split(File.pathSeparator)) {
            if (dir.isBlank()) continue;
            Path p = Path.of(dir, exe);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    private static void squash(Path mksquashfs, Path dir, Path out) throws IOException {
        // Same directory, same image, so the same code hash: fixed times and ownership, no xattrs
        // (mksquashfs sorts directory entries itself and is -reproducible by default since 4.4).
        Process p = new ProcessBuilder(mksquashfs.toString(), dir.toString(), out.toString(), "-noappend", "-quiet",
                "-all-time", "0", "-mkfs-time", "0", "-all-root", "-no-xattrs")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(MKSQUASHFS_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CliException("mksquashfs did not finish within " + MKSQUASHFS_TIMEOUT_S + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while packing the code");
        }
        if (p.exitValue() != 0) throw new CliException("mksquashfs failed with exit code " + p.exitValue() + " on " + dir);
    }

    /** Entry time of every zip entry: a fixed time (the DOS epoch), so zipping the same files twice gives the same bytes. */
    static final java.time.LocalDateTime ZIP_ENTRY_TIME = java.time.LocalDateTime.of(1980, 1, 1, 0, 0);

    /** Zips the directory's content at the archive root, entries sorted and times fixed so the result is stable. */
    static void zip(Path dir, Path out) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(p -> !p.equals(dir)).sorted(java.util.Comparator.comparing(p -> dir.relativize(p).toString())).toList();
        }
        try (OutputStream os = Files.newOutputStream(out); ZipOutputStream zos = new ZipOutputStream(os)) {
            for (Path p : files) {
                String name = dir.relativize(p).toString().replace(File.separatorChar, '/');
                if (Files.isDirectory(p)) {
                    ZipEntry e = new ZipEntry(name + "/");
                    e.setTimeLocal(ZIP_ENTRY_TIME);
                    zos.putNextEntry(e);
                    zos.closeEntry();
                } else if (Files.isRegularFile(p)) {
                    ZipEntry e = new ZipEntry(name);
                    e.setTimeLocal(ZIP_ENTRY_TIME);
                    zos.putNextEntry(e);
                    Files.copy(p, zos);
                    zos.closeEntry();
                }
            }
        }
    }

    static boolean isSquashfs(Path file) throws IOException {
        if (file.getFileName().toString().endsWith(".squashfs")) return true;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'h' && magic[1] == 's' && magic[2] == 'q' && magic[3] == 's';
        }
    }

    static boolean isZip(Path file) {
        try (ZipFile z = new ZipFile(file.toFile())) {
            return z.size() >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (tempDir != null) deleteTree(tempDir);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // Best effort: a leftover temp file is harmless.
                }
            });
        } catch (IOException ignored) {
            // Already gone.
        }
    }
}
