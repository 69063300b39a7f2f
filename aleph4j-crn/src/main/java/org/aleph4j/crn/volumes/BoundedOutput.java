package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.OutputStream;

/** Refuses the write that would take it past {@code max} bytes: a downloaded part larger than it may be. */
final class BoundedOutput extends OutputStream {
    private final OutputStream out;
    private final long max;
    private long n;

    BoundedOutput(OutputStream out, long max) {
        this.out = out;
        this.max = max;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (n + len > max) throw new SnapshotCorruptException("a snapshot part is larger than the " + max + " bytes it may hold");
        out.write(b, off, len);
        n += len;
    }
}
