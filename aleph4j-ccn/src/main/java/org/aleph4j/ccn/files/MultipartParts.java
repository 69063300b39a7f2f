package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.io.Content;

/**
 * Reads multipart/form-data parts one after the other with Jetty's multipart parser, pulling the request body
 * in 64 KiB reads as a part's body is consumed. At most one read's worth of bytes is held in memory, so a file part
 * can be hashed and written to disk while it arrives.
 */
final class MultipartParts {
    private static final Pattern NAME = Pattern.compile("(?i)\\bname=\"([^\"]*)\"");
    private static final Pattern FILENAME = Pattern.compile("(?i)\\bfilename=\"([^\"]*)\"");
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary=(\"([^\"]+)\"|([^;\\s]+))");
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final int READ_BYTES = 64 * 1024;

    /** A body that is not valid multipart; the client's fault. */
    static final class MalformedException extends IOException {
        MalformedException(String message) {
            super(message);
        }
    }

    /** One part: its form name, file name (if any), and a stream of its body that ends with the part. */
    record Part(String name, String filename, String contentType, InputStream body) {}

    /** What the parser reported, in order; consumed by {@link #next()} and the part bodies. */
    private sealed interface Event {}

    private record Begin(String name, String filename, String contentType) implements Event {}

    private record Data(byte[] bytes) implements Event {}

    private record End() implements Event {}

    private record Complete() implements Event {}

    private record Failed(Throwable cause) implements Event {}

    private final InputStream in;
    private final MultiPart.Parser parser;
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private final byte[] buf = new byte[READ_BYTES];
    private boolean eof;
    private boolean finished;
    private PartBody current;

    MultipartParts(InputStream in, String boundary) {
        this.in = in;
        this.parser = new MultiPart.Parser(boundary, new Listener());
        parser.setPartHeadersMaxLength(MAX_HEADER_BYTES);
        // parts are streamed and skipped, never kept: their number costs no memory, so it stays unbounded
        parser.setMaxParts(-1);
    }

    /** The boundary parameter of a multipart content type, or null. */
    static String boundaryOf(String contentType) {
        if (contentType == null) return null;
        Matcher m = BOUNDARY.matcher(contentType);
        if (!m.find()) return null;
        return m.group(2) != null ? m.group(2) : m.group(3);
    }

    /** The next part, or null after the closing boundary. Unread bytes of the previous part are skipped. */
    Part next() throws IOException {
        if (finished) return null;
        if (current != null) {
            current.skipRest();
            current = null;
        }
        while (true) {
            Event e = take();
            switch (e) {
                case Begin b -> {
                    current = new PartBody();
                    return new Part(b.name(), b.filename(), b.contentType(), current);
                }
                case Complete c -> {
                    finished = true;
                    return null;
                }
                case Data d -> { }
                case End end -> { }
                case Failed f -> throw malformed(f.cause());
            }
        }
    }

    /** The next event, reading and parsing more of the body until there is one. */
    private Event take() throws IOException {
        while (events.isEmpty()) {
            if (eof) throw new MalformedException("multipart body ended without a closing boundary");
            int n = in.read(buf);
            if (n < 0) {
                eof = true;
                parser.parse(Content.Chunk.EOF);
            } else if (n > 0) {
                // the parser hands content out synchronously as slices of buf; Listener copies them before the next read
                parser.parse(Content.Chunk.from(ByteBuffer.wrap(buf, 0, n), false));
            }
        }
        return events.poll();
    }

    /** A failure the parser reported: always the body's fault (a client going away fails the read, not the parser). */
    private static MalformedException malformed(Throwable cause) {
        if (cause instanceof MalformedException m) return m;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        MalformedException e = new MalformedException("malformed multipart body: " + message);
        e.initCause(cause);
        return e;
    }

    private final class Listener implements MultiPart.Parser.Listener {
        private String name;
        private String filename;
        private String contentType;
        private boolean begun;

        @Override
        public void onPartBegin() {
            name = null;
            filename = null;
            contentType = null;
            begun = false;
        }

        @Override
        public void onPartHeader(String header, String value) {
            String key = header.trim().toLowerCase(Locale.ROOT);
            String v = value == null ? "" : value.trim();
            if (key.equals("content-disposition")) {
                Matcher fm = FILENAME.matcher(v);
                if (fm.find()) filename = fm.group(1);
                Matcher nm = NAME.matcher(v);
                if (nm.find()) name = nm.group(1);
            } else if (key.equals("content-type")) {
                contentType = v;
            }
        }

        @Override
        public void onPartHeaders() {
            begin();
        }

        private void begin() {
            if (begun) return;
            begun = true;
            events.add(new Begin(name, filename, contentType));
        }

        @Override
        public void onPartContent(Content.Chunk chunk) {
            begin();
            ByteBuffer b = chunk.getByteBuffer();
            if (b != null && b.hasRemaining()) {
                byte[] copy = new byte[b.remaining()];
                b.get(copy);
                events.add(new Data(copy));
            }
        }

        @Override
        public void onPartEnd() {
            begin();
            events.add(new End());
        }

        @Override
        public void onComplete() {
            events.add(new Complete());
        }

        @Override
        public void onFailure(Throwable failure) {
            events.add(new Failed(failure));
        }
    }

    /** The body of the current part: data events up to its end. */
    private final class PartBody extends InputStream {
        private byte[] chunk = new byte[0];
        private int pos;
        private boolean ended;

        private boolean fill() throws IOException {
            while (pos >= chunk.length) {
                if (ended) return false;
                Event e = take();
                switch (e) {
                    case Data d -> {
                        chunk = d.bytes();
                        pos = 0;
                    }
                    case End end -> ended = true;
                    case Failed f -> throw malformed(f.cause());
                    // a part cannot begin or the body complete before this part ended; treat it as the end
                    case Begin b -> {
                        events.addFirst(b);
                        ended = true;
                    }
                    case Complete c -> {
                        events.addFirst(c);
                        ended = true;
                    }
                }
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            if (!fill()) return -1;
            return chunk[pos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            if (!fill()) return -1;
            int n = Math.min(len, chunk.length - pos);
            System.arraycopy(chunk, pos, b, off, n);
            pos += n;
            return n;
        }

        void skipRest() throws IOException {
            while (fill()) pos = chunk.length;
        }
    }
}
