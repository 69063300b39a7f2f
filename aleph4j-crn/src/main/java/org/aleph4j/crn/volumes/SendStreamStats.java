package org.aleph4j.crn.volumes;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Passes a {@code btrfs send} stream through while reading its framing, to estimate how many bytes
 * of file data changed: the payload of its write commands. Format (version 1): a 17-byte header
 * ({@code btrfs-stream\0} and a little-endian version), then commands of a 10-byte header (payload
 * length u32, command u16, crc u32, little-endian) and their payload. Data shared by a clone, and
 * the few bytes of path and offset in each write command, make it an estimate.
 */
final class SendStreamStats extends FilterOutputStream {
    private static final int STREAM_HEADER = 17;
    private static final int COMMAND_HEADER = 10;
    private static final int WRITE = 15;

    private final byte[] head = new byte[COMMAND_HEADER];
    private long total;
    private int headFill;
    private long payloadLeft;
    private boolean payloadIsWrite;
    private long writeBytes;
    private long commands;

    SendStreamStats(OutputStream out) {
        super(out);
    }

    /** Bytes of file data the stream writes. */
    long changedBytes() {
        return writeBytes;
    }

    /** Bytes of the whole stream. */
    long streamBytes() {
        return total;
    }

    long commands() {
        return commands;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        int i = off;
        int end = off + len;
        while (i < end) {
            if (total < STREAM_HEADER) {
                int n = (int) Math.min(end - i, STREAM_HEADER - total);
                total += n;
                i += n;
            } else if (payloadLeft > 0) {
                int n = (int) Math.min(end - i, payloadLeft);
                if (payloadIsWrite) writeBytes += n;
                payloadLeft -= n;
                total += n;
                i += n;
            } else {
                head[headFill++] = b[i++];
                total++;
                if (headFill == COMMAND_HEADER) {
                    headFill = 0;
                    payloadLeft = (head[0] & 0xffL) | (head[1] & 0xffL) << 8 | (head[2] & 0xffL) << 16 | (head[3] & 0xffL) << 24;
                    payloadIsWrite = ((head[4] & 0xff) | (head[5] & 0xff) << 8) == WRITE;
                    commands++;
                }
            }
        }
    }
}
