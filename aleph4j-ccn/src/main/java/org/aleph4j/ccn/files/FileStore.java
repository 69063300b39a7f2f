package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Files addressed by their sha256, under {@code <root>/<first two hex>/<hash>}. Writes go to a temp file in
 * {@code <root>/tmp} while hashing, then move atomically into place, so a crash never leaves a partial file
 * under a hash name.
 */
public final class FileStore {
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
    private final Path root;
    private final Path tmp;

    public FileStore(Path root) throws IOException {
        this.root = root;
        this.tmp = root.resolve("tmp");
        Files.createDirectories(tmp);
        // Leftovers of uploads interrupted by a crash: never referenced, safe to drop.
        try (Stream<Path> s = Files.list(tmp)) {
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
    }

    /** The upload exceeded the size limit; nothing was kept. */
    public static final class TooLargeException extends IOException {
        private final long limit;

        public TooLargeException(long limit) {
            super("file is larger than the limit of " + limit + " bytes");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }

    /** A file written to a temp location and hashed, not yet visible under its hash. */
    public final class Staged implements AutoCloseable {
        private final Path temp;
        private final String hash;
        private final long size;
        private boolean committed;

        private Staged(Path temp, String hash, long size) {
            this.temp = temp;
            this.hash = hash;
            this.size = size;
        }

        public String hash() {
            return hash;
        }

        public long size() {
            return size;
        }

        /** Moves the file under its hash (atomically); a file already there is kept as is. */
        public void commit() throws IOException {
            Path target = path(hash);
            Files.createDirectories(target.getParent());
            if (Files.exists(target)) {
                Files.deleteIfExists(temp);
            } else {
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    Files.deleteIfExists(temp);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the file store needs a file system with atomic moves", e);
                }
            }
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (!committed) Files.deleteIfExists(temp);
        }
    }

    /** Copies {@code in} to a temp file while hashing; fails with {@link TooLargeException} past {@code limit} bytes. */
    public Staged stage(InputStream in, long limit) throws IOException {
        Path temp = Files.createTempFile(tmp, "upload-", ".part");
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = 0;
        boolean ok = false;
        try (OutputStream out = Files.newOutputStream(temp)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                size += n;
                if (size > limit) throw new TooLargeException(limit);
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
            }
            ok = true;
        } finally {
            if (!ok) Files.deleteIfExists(temp);
        }
        return new Staged(temp, HexFormat.of().formatHex(sha.digest()), size);
    }

    /** Stores bytes already in memory (small JSON documents). */
    public String put(byte[] bytes) throws IOException {
        try (Staged s = stage(new java.io.ByteArrayInputStream(bytes), Long.MAX_VALUE)) {
            s.commit();
            return s.hash();
        }
    }

    public Path path(String hash) {
        if (hash == null || !HASH.matcher(hash).matches()) throw new IllegalArgumentException("not a sha256 hash: " + hash);
        return root.resolve(hash.substring(0, 2)).resolve(hash);
    }

    public boolean exists(String hash) {
        return hash != null && HASH.matcher(hash).matches() && Files.isRegularFile(path(hash));
    }

    public long size(String hash) throws IOException {
        return Files.size(path(hash));
    }

    public InputStream open(String hash) throws IOException {
        return Files.newInputStream(path(hash));
    }

    public byte[] read(String hash) throws IOException {
        return Files.readAllBytes(path(hash));
    }

    public void delete(String hash) throws IOException {
        if (hash != null && HASH.matcher(hash).matches()) Files.deleteIfExists(path(hash));
    }
}
