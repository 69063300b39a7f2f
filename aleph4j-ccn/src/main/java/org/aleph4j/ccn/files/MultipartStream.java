package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A streaming multipart/form-data reader: parts are read one after the other straight from the request
 * body, so a file part can be hashed and written to disk without the body ever being held in memory.
 */
final class MultipartStream {
    private static final Pattern NAME = Pattern.compile("(?i)\\bname=\"([^\"]*)\"");
    private static final Pattern FILENAME = Pattern.compile("(?i)\\bfilename=\"([^\"]*)\"");
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final InputStream in;
    private final byte[] delim;
    private final byte[] buf;
    private int pos;
    private int lim;
    private boolean eof;
    private boolean finished;
    private Part current;

    /** One part: its form name, file name (if any), and a stream of its body that ends at the next boundary. */
    record Part(String name, String filename, String contentType, InputStream body) {}

    MultipartStream(InputStream in, String boundary) {
        this.in = in;
        this.delim = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[64 * 1024 + delim.length];
        // The first boundary has no CRLF before it: pretend it had one.
        buf[0] = '\r';
        buf[1] = '\n';
        lim = 2;
    }

    /** The boundary parameter of a multipart content type, or null. */
    static String boundaryOf(String contentType) {
        if (contentType == null) return null;
        Matcher m = Pattern.compile("(?i)boundary=(\"([^\"]+)\"|([^;\\s]+))").matcher(contentType);
        if (!m.find()) return null;
        return m.group(2) != null ? m.group(2) : m.group(3);
    }

    private void fill() throws IOException {
        if (eof) return;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        while (lim < buf.length) {
            int n = in.read(buf, lim, buf.length - lim);
            if (n < 0) {
                eof = true;
                return;
            }
            lim += n;
            if (lim - pos >= delim.length + 4) return;
        }
    }

    private int indexOfDelim() {
        outer:
        for (int i = pos; i <= lim - delim.length; i++) {
            for (int j = 0; j < delim.length; j++) if (buf[i + j] != delim[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** The next part, or null after the closing boundary. Unread bytes of the previous part are skipped. */
    Part next() throws IOException {
        if (finished) return null;
        if (current != null) {
            current.body().transferTo(OutputStreamNull.INSTANCE);
        } else {
            // skip the preamble up to and including the first delimiter
            PartBody preamble = new PartBody();
            preamble.transferTo(OutputStreamNull.INSTANCE);
        }
        // after a delimiter: "--" closes, CRLF opens a part
        if (lim - pos < 2) fill();
        if (lim - pos < 2) throw new IOException("truncated multipart body");
        if (buf[pos] == '-' && buf[pos + 1] == '-') {
            finished = true;
            return null;
        }
        if (buf[pos] != '\r' || buf[pos + 1] != '\n') throw new IOException("malformed multipart boundary");
        pos += 2;
        String name = null, filename = null, type = null;
        int total = 0;
        while (true) {
            String line = readLine();
            total += line.length();
            if (total > MAX_HEADER_BYTES) throw new IOException("multipart headers too long");
            if (line.isEmpty()) break;
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (key.equals("content-disposition")) {
                Matcher fm = FILENAME.matcher(value);
                if (fm.find()) filename = fm.group(1);
                Matcher nm = NAME.matcher(value);
                if (nm.find()) name = nm.group(1);
            } else if (key.equals("content-type")) {
                type = value;
            }
        }
        current = new Part(name, filename, type, new PartBody());
        return current;
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= lim) fill();
            if (pos >= lim) throw new IOException("truncated multipart headers");
            byte b = buf[pos++];
            if (b == '\n') {
                int n = sb.length();
                if (n > 0 && sb.charAt(n - 1) == '\r') sb.setLength(n - 1);
                return sb.toString();
            }
            sb.append((char) (b & 0xff));
            if (sb.length() > MAX_HEADER_BYTES) throw new IOException("multipart header line too long");
        }
    }

    /** Reads up to the next delimiter, then consumes it. */
    private final class PartBody extends InputStream {
        private boolean done;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) return -1;
            if (len == 0) return 0;
            while (true) {
                if (lim - pos < delim.length) fill();
                int at = indexOfDelim();
                if (at == pos) {
                    pos += delim.length;
                    done = true;
                    return -1;
                }
                int safe = at >= 0 ? at : (eof ? -1 : lim - delim.length + 1);
                if (at < 0 && eof) throw new IOException("multipart body ended without a closing boundary");
                if (safe > pos) {
                    int n = Math.min(len, safe - pos);
                    System.arraycopy(buf, pos, b, off, n);
                    pos += n;
                    return n;
                }
                fill();
            }
        }
    }

    private static final class OutputStreamNull extends java.io.OutputStream {
        static final OutputStreamNull INSTANCE = new OutputStreamNull();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
