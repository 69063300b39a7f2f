package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/** A directory of upload temp files, shared by both backends: each upload is copied there while hashed. */
final class Spool {
    /** A spooled upload: its temp file, sha256 (hex), size, and MD5 (for S3's Content-MD5) when asked for. */
    record File(Path path, String sha256, long size, byte[] md5) {}

    private final Path dir;

    /** Creates {@code dir} and deletes what a previous run left in it (never referenced, safe to drop). */
    Spool(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
    }

    File write(InputStream in, long limit, boolean md5) throws IOException {
        Path temp = Files.createTempFile(dir, "upload-", ".part");
        MessageDigest sha = digest("SHA-256");
        MessageDigest m5 = md5 ? digest("MD5") : null;
        long size = 0;
        boolean ok = false;
        try (OutputStream out = Files.newOutputStream(temp)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                size += n;
                if (size > limit) throw new FileStore.TooLargeException(limit);
                sha.update(buf, 0, n);
                if (m5 != null) m5.update(buf, 0, n);
                out.write(buf, 0, n);
            }
            ok = true;
        } finally {
            if (!ok) Files.deleteIfExists(temp);
        }
        return new File(temp, HexFormat.of().formatHex(sha.digest()), size, m5 == null ? null : m5.digest());
    }

    static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
