package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.util.regex.Pattern;

/**
 * Where a CCN keeps its files, addressed by their sha256: {@link LocalFileStore} (a directory, one node) or
 * {@link S3FileStore} (an S3-compatible bucket that several CCN replicas share). Uploads are staged on local disk
 * while hashed ({@link #stage}), then made visible under their hash ({@link Staged#commit}); nothing is ever held
 * whole in memory but by {@link #read}, which its callers bound. A backend that cannot be reached (down, 5xx,
 * timed out) throws {@link FileStoreUnavailableException}, which the API answers with 503.
 */
public interface FileStore extends AutoCloseable {
    Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    static boolean isHash(String hash) {
        return hash != null && HASH.matcher(hash).matches();
    }

    static void checkHash(String hash) {
        if (!isHash(hash)) throw new IllegalArgumentException("not a sha256 hash: " + hash);
    }

    /** Copies {@code in} to local disk while hashing; fails with {@link TooLargeException} past {@code limit} bytes. */
    Staged stage(InputStream in, long limit) throws IOException;

    /** Stores bytes already in memory (small JSON documents); returns their hash. */
    default String put(byte[] bytes) throws IOException {
        try (Staged s = stage(new java.io.ByteArrayInputStream(bytes), Long.MAX_VALUE)) {
            s.commit();
            return s.hash();
        }
    }

    /** Whether the file is stored (false for anything that is not a sha256 hash). */
    boolean exists(String hash);

    /** The stored file's size; {@link java.nio.file.NoSuchFileException} when it is not stored. */
    long size(String hash) throws IOException;

    /**
     * The stored file as a stream of exactly {@link Opened#size()} bytes whose hash is checked as it is read: a
     * stream whose bytes do not hash to {@code hash} fails before its last bytes are handed out.
     * {@link java.nio.file.NoSuchFileException} when it is not stored.
     */
    Opened open(String hash) throws IOException;

    /** The whole file in memory: only for files the caller has bounded (message content, base64 views). */
    default byte[] read(String hash) throws IOException {
        try (Opened o = open(hash)) {
            if (o.size() > Integer.MAX_VALUE - 8) throw new IOException("file " + hash + " is too large to read into memory");
            return o.stream().readAllBytes();
        }
    }

    /** Deletes the file if it is stored. */
    void delete(String hash) throws IOException;

    /** Where the files are, for logs. */
    String location();

    @Override
    default void close() {}

    /** An open stored file: its size and its bytes. */
    record Opened(long size, InputStream stream) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            stream.close();
        }
    }

    /** A file written to local disk and hashed, not yet visible under its hash; {@link #close} drops it if not committed. */
    interface Staged extends AutoCloseable {
        String hash();

        long size();

        /** Makes the file visible under its hash; a file already stored under it is kept as is. */
        void commit() throws IOException;

        @Override
        void close() throws IOException;
    }

    /** The stored bytes are not those of their hash (a corrupt or replaced object): never handed out whole. */
    final class CorruptException extends IOException {
        public CorruptException(String message) {
            super(message);
        }
    }

    /** The upload exceeded the size limit; nothing was kept. */
    final class TooLargeException extends IOException {
        private final long limit;

        public TooLargeException(long limit) {
            super("file is larger than the limit of " + limit + " bytes");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }
}
