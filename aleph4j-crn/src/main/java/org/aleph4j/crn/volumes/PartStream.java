package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The parts of a stored snapshot read as one stream: each part is fetched (downloaded and verified
 * into a file) while the one before it is read, and deleted once read or when the stream is closed.
 * The sizes add up exactly to the snapshot's, or reading fails.
 */
final class PartStream extends InputStream {
    /** Fetches part {@code index} into a verified file of at most {@code max} bytes ({@code left} exactly when {@code last}). */
    interface Fetch {
        Path fetch(String ref, int index, long max, boolean last, long left) throws IOException;
    }

    private final List<String> refs;
    private final long expected;
    private final long partBytes;
    private final Fetch fetch;
    /** Bytes of the parts opened so far. */
    private long opened;
    private int next;
    private Path file;
    private InputStream current = InputStream.nullInputStream();
    private CompletableFuture<Path> ahead;
    private boolean closed;

    /**
     * The stream stored as {@code parts} once they can be it: every ref a sha256, and as many parts as
     * {@code expectedBytes} needs (each holds at least one byte and at most {@code partBytes}).
     */
    static PartStream open(List<String> parts, long expectedBytes, long partBytes, Fetch fetch) throws SnapshotCorruptException {
        if (expectedBytes < 0) throw new IllegalArgumentException("negative snapshot size");
        for (String ref : parts) {
            if (!org.aleph4j.message.ItemHashes.isSha256Hash(ref)) {
                throw new SnapshotCorruptException("snapshot part ref " + ref + " is not a sha256");
            }
        }
        boolean fits = expectedBytes == 0 ? parts.isEmpty()
                : !parts.isEmpty() && parts.size() <= expectedBytes && (long) parts.size() * partBytes >= expectedBytes;
        if (!fits) throw new SnapshotCorruptException(parts.size() + " parts cannot hold a snapshot of " + expectedBytes + " bytes");
        return new PartStream(parts, expectedBytes, partBytes, fetch);
    }

    PartStream(List<String> refs, long expected, long partBytes, Fetch fetch) {
        this.refs = refs;
        this.expected = expected;
        this.partBytes = partBytes;
        this.fetch = fetch;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (closed) throw new IOException("the snapshot stream is closed");
        if (len == 0) return 0;
        while (true) {
            int n = current.read(b, off, len);
            if (n > 0) return n;
            if (!advance()) return -1;
        }
    }

    private boolean advance() throws IOException {
        closePart();
        if (next == refs.size()) {
            if (opened != expected) throw new SnapshotCorruptException("the snapshot ended after " + opened + " of " + expected + " bytes");
            return false;
        }
        CompletableFuture<Path> got = ahead != null ? ahead : start(next, expected - opened);
        ahead = null;
        file = join(got);
        opened += Files.size(file);
        next++;
        current = Files.newInputStream(file);
        if (next < refs.size() && opened < expected) ahead = start(next, expected - opened);
        return true;
    }

    private CompletableFuture<Path> start(int index, long left) throws SnapshotCorruptException {
        if (left <= 0) throw new SnapshotCorruptException("the snapshot has more parts than its " + expected + " bytes need");
        boolean last = index == refs.size() - 1;
        CompletableFuture<Path> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                f.complete(fetch.fetch(refs.get(index), index, Math.min(partBytes, left), last, left));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }

    private static Path join(CompletableFuture<Path> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VolumeException("interrupted while downloading a snapshot part");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new VolumeException("downloading a snapshot part failed", e.getCause());
        }
    }

    private void closePart() throws IOException {
        current.close();
        current = InputStream.nullInputStream();
        if (file != null) Files.deleteIfExists(file);
        file = null;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        closePart();
        // a part still downloading is deleted when it arrives
        if (ahead != null) ahead.thenAccept(p -> {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // the spool is cleaned at the next start
            }
        });
        ahead = null;
    }
}
