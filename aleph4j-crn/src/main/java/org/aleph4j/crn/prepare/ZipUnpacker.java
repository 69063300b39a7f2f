package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Unpacks a zip archive within {@link PrepareLimits}: entries are counted before the archive is
 * opened, and bytes are counted while they are written, whatever sizes the archive declares.
 * Links and special entries are written as the regular files they are stored as; no mode other
 * than "executable" is taken from the archive.
 */
final class ZipUnpacker {
    /** Central directory headers the zip reader may load into memory, in bytes (names, extras, comments). */
    static final long MAX_DIRECTORY_BYTES = 64L * 1024 * 1024;
    private static final int CFH_SIZE = 46;

    private ZipUnpacker() {}

    static void unzip(Path file, Path dest, PrepareLimits limits) throws IOException {
        scanDirectory(file, limits);
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            var entries = zip.getEntries();
            long count = 0;
            long files = 0;
            long[] budget = {limits.maxUnpackedBytes()};
            byte[] buf = new byte[64 * 1024];
            while (entries.hasMoreElements()) {
                ZipArchiveEntry e = entries.nextElement();
                if (++count > limits.maxEntries()) throw tooManyEntries(limits);
                String name = e.getName();
                Path out;
                try {
                    out = dest.resolve(name).normalize();
                } catch (InvalidPathException ex) {
                    throw new UnpackException("entry name " + printable(name) + " is not a valid path");
                }
                if (!out.startsWith(dest)) throw new UnpackException("entry " + printable(name) + " escapes the archive");
                if (!out.equals(dest)) CodeTree.checkPath(dest.relativize(out).toString(), limits);
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                if (out.equals(dest)) throw new UnpackException("entry " + printable(name) + " names the archive's root");
                Files.createDirectories(out.getParent());
                Files.deleteIfExists(out);
                try (InputStream in = zip.getInputStream(e);
                     OutputStream os = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    copy(in, os, budget, buf, limits);
                }
                if ((e.getUnixMode() & 0111) != 0 && !e.isUnixSymlink()) out.toFile().setExecutable(true, false);
                files++;
            }
            if (files == 0) throw new UnpackException("the zip archive holds no file");
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UnpackException("not a valid zip archive: " + e.getMessage());
        }
    }

    private static void copy(InputStream in, OutputStream out, long[] budget, byte[] buf, PrepareLimits limits)
            throws IOException {
        int n;
        while ((n = in.read(buf)) > 0) {
            budget[0] -= n;
            if (budget[0] < 0) {
                throw UnpackException.limit("the archive unpacks to more than " + limits.maxUnpackedBytes() + " bytes",
                        "max_unpacked_bytes", limits.maxUnpackedBytes());
            }
            // the caller bounds preparation in time by interrupting this thread
            if (Thread.currentThread().isInterrupted()) throw new InterruptedIOException("interrupted while unpacking");
            out.write(buf, 0, n);
        }
    }

    /**
     * Bounds what the zip reader will hold in memory before it reads anything: every central
     * directory header starts with {@code PK\1\2}, so the number of those four bytes anywhere in the
     * file bounds the entries any reading of it can find, whatever the end-of-directory record claims.
     * Data that happens to hold them only makes the bound more cautious.
     */
    static void scanDirectory(Path file, PrepareLimits limits) throws IOException {
        final int keep = 64; // a signature this close to a chunk's end is scanned with the next chunk
        long headers = 0;
        long headerBytes = 0;
        byte[] buf = new byte[(1 << 20) + keep];
        int len = 0;
        try (InputStream in = Files.newInputStream(file)) {
            boolean eof = false;
            while (!eof) {
                int n = in.readNBytes(buf, len, buf.length - len);
                len += n;
                eof = n == 0 || len < buf.length;
                int end = eof ? len - 3 : len - keep;
                for (int i = 0; i < end; i++) {
                    if (buf[i] != 'P' || buf[i + 1] != 'K' || buf[i + 2] != 1 || buf[i + 3] != 2) continue;
                    if (++headers > limits.maxEntries()) throw tooManyEntries(limits);
                    headerBytes += CFH_SIZE;
                    if (i + 34 <= len) headerBytes += u16(buf, i + 28) + u16(buf, i + 30) + u16(buf, i + 32);
                    if (headerBytes > MAX_DIRECTORY_BYTES) {
                        throw UnpackException.limit("the zip archive's central directory is larger than "
                                + MAX_DIRECTORY_BYTES + " bytes", "max_zip_directory_bytes", MAX_DIRECTORY_BYTES);
                    }
                }
                if (Thread.currentThread().isInterrupted()) throw new InterruptedIOException("interrupted while reading the archive");
                if (!eof) {
                    System.arraycopy(buf, len - keep, buf, 0, keep);
                    len = keep;
                }
            }
        }
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8);
    }

    private static UnpackException tooManyEntries(PrepareLimits limits) {
        return UnpackException.limit("the archive holds more than " + limits.maxEntries() + " entries", "max_entries",
                limits.maxEntries());
    }

    static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        StringBuilder b = new StringBuilder();
        t.codePoints().forEach(c -> b.append(c < 0x20 || c == 0x7f ? '?' : Character.toString(c)));
        return b.toString();
    }
}
