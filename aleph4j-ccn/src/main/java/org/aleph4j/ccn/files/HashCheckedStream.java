package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Passes through exactly {@code size} bytes of {@code in} while hashing them, and checks the sha256 before it hands
 * out the read that ends the file: a wrong, short or long object fails with an {@link IOException} instead of
 * completing, so a client streaming it sees a broken download, never a complete wrong file. Never reads past
 * {@code size}.
 */
final class HashCheckedStream extends InputStream {
    private final InputStream in;
    private final String expected;
    private final long size;
    private final String name;
    private final MessageDigest sha = Spool.digest("SHA-256");
    private long remaining;
    private boolean checked;

    private final Runnable abort;

    /** {@code abort} runs instead of closing {@code in} when the stream is closed before its end (not drained). */
    HashCheckedStream(InputStream in, String expected, long size, String name, Runnable abort) {
        this.in = in;
        this.abort = abort;
        this.expected = expected;
        this.size = size;
        this.name = name;
        this.remaining = size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (remaining == 0) {
            if (size == 0 && !checked) check();
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) throw new IOException(name + " ended after " + (size - remaining) + " of its " + size + " bytes");
        sha.update(b, off, n);
        remaining -= n;
        if (remaining == 0) check();
        return n;
    }

    private void check() throws FileStore.CorruptException {
        checked = true;
        String got = HexFormat.of().formatHex(sha.digest());
        if (!got.equals(expected)) {
            throw new FileStore.CorruptException(name + " hashes to " + got + ", not to its name: the object store holds a corrupt copy");
        }
    }

    @Override
    public long skip(long n) throws IOException {
        // skipped bytes must be hashed too
        byte[] buf = new byte[8192];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) break;
            done += r;
        }
        return done;
    }

    @Override
    public int available() {
        return 0;
    }

    @Override
    public void close() throws IOException {
        if (remaining > 0 && abort != null) abort.run();
        else in.close();
    }
}
