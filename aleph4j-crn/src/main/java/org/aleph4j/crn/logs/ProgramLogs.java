package org.aleph4j.crn.logs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * stdout/stderr of a program, kept across its executions under {@code logs/<item_hash>/}. The
 * watchdog writes each line as {@code "<unix micros> <text>"} and rotates a file that grew past the
 * node's {@code log-max-bytes}: {@code stdout.log} becomes {@code stdout.log.1} (replacing the older
 * one) and a new {@code stdout.log} starts; the same for stderr. This class reads them back,
 * {@code .1} then the current file, newest last, scanning from the end so that asking for the last
 * lines costs those lines, not the whole file.
 *
 * <p>A third stream, {@code node.log}, holds the node's own markers between executions
 * ({@code --- started (epoch 3) ---}, {@code --- stopped: idle for 60 s ---}), written by the CRN
 * through {@link #mark}; it is merged with the program's output as entries of file {@code node}.
 */
public final class ProgramLogs {
    /** One line of output, shaped as upstream's log entries. */
    public record Entry(String file, long realtimeMicros, String message) {}

    /** A line longer than this is returned cut to this many bytes (journald cuts at 48 KiB). */
    public static final int MAX_MESSAGE_BYTES = 64 * 1024;
    private static final int CHUNK = 64 * 1024;
    /** "<19 digits> " at most. */
    private static final int MAX_PREFIX = 20;
    private static final List<String> FILES = List.of("stdout", "stderr", "node");
    /** The node's markers are few per execution; a crash loop's are bounded by rotating at this size. */
    static final long MAX_MARKER_BYTES = 1 << 20;

    private final Path root;

    public ProgramLogs(Path dataDir) {
        this.root = dataDir.resolve("logs");
    }

    public Path dir(String itemHash) {
        Path d = root.resolve(itemHash);
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return d;
    }

    public Path stdout(String itemHash) {
        return dir(itemHash).resolve("stdout.log");
    }

    public Path stderr(String itemHash) {
        return dir(itemHash).resolve("stderr.log");
    }

    /** The node's markers of a program's executions (file {@code node} in the entries). */
    public Path markers(String itemHash) {
        return dir(itemHash).resolve("node.log");
    }

    /**
     * Appends the node's marker {@code text} (one line; newlines are flattened) at {@code at} to the
     * program's log, rotated to {@code node.log.1} past {@value #MAX_MARKER_BYTES} bytes. A marker
     * that cannot be written is dropped: it never fails the execution it describes.
     */
    public synchronized void mark(String itemHash, java.time.Instant at, String text) {
        long micros = at.getEpochSecond() * 1_000_000L + at.getNano() / 1000;
        String line = micros + " " + text.replaceAll("\\R", " ") + "\n";
        try {
            Path file = markers(itemHash);
            if (size(file) > MAX_MARKER_BYTES) Files.move(file, rotated(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException | UncheckedIOException e) {
            // a full disk: the program's output matters more than the marker
        }
    }

    /** Where {@code log} goes when it is rotated: {@code stdout.log} → {@code stdout.log.1}. */
    public static Path rotated(Path log) {
        return log.resolveSibling(log.getFileName() + ".1");
    }

    public boolean exists(String itemHash) {
        return Files.isDirectory(root.resolve(itemHash));
    }

    public long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * The last {@code max} lines of {@code file} written after byte {@code from}, without timestamps.
     * When the file is shorter than {@code from} it was rotated meanwhile, and all of it is new.
     */
    public List<String> tail(Path file, long from, int max) {
        if (max <= 0 || !Files.exists(file)) return List.of();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long floor = from > ch.size() ? 0 : Math.max(0, from);
            List<Line> lines = new ArrayList<>();
            scanBackwards(ch, "stderr", floor, max, Long.MIN_VALUE, lines);
            Collections.reverse(lines);
            List<String> out = new ArrayList<>(lines.size());
            for (Line l : lines) out.add(l.read().message());
            return out;
        } catch (IOException e) {
            return List.of();
        }
    }

    /** All entries of a program, stdout and stderr (each with its rotated file) merged in time order. */
    public List<Entry> entries(String itemHash) {
        List<Entry> all = new ArrayList<>();
        try (Tail t = latest(itemHash, Integer.MAX_VALUE)) {
            t.forEach(all::add);
        } catch (IOException e) {
            // a log removed while read reads as fewer lines, not as an error
        }
        return all;
    }

    /**
     * The last {@code max} entries of a program, stdout and stderr merged in time order, newest last.
     * Only the positions of those lines are held; messages are read as {@link Tail#forEach} reaches
     * them, so a caller can stream them out. Close the tail to release the files.
     */
    public Tail latest(String itemHash, int max) throws IOException {
        return latest(itemHash, max, Long.MIN_VALUE);
    }

    /**
     * {@link #latest(String, int)} restricted to entries stamped at or after {@code sinceMicros}
     * (inclusive, so that a follower asking again from the last time it saw misses no line written
     * in the same microsecond; it drops the ones it already has). Lines without a timestamp are
     * never newer than anything.
     */
    public Tail latest(String itemHash, int max, long sinceMicros) throws IOException {
        Path dir = root.resolve(itemHash);
        List<FileChannel> open = new ArrayList<>();
        try {
            List<List<Line>> streams = new ArrayList<>();
            for (String file : FILES) {
                FileChannel[] pair = openPair(dir.resolve(file + ".log"), open);
                List<Line> newestFirst = new ArrayList<>();
                boolean older = false;
                if (pair[1] != null) older = scanBackwards(pair[1], file, 0, max, sinceMicros, newestFirst);
                if (pair[0] != null && newestFirst.size() < max && !older) {
                    scanBackwards(pair[0], file, 0, max - newestFirst.size(), sinceMicros, newestFirst);
                }
                Collections.reverse(newestFirst);
                streams.add(newestFirst);
            }
            List<Line> merged = streams.get(0);
            for (int i = 1; i < streams.size(); i++) merged = merge(merged, streams.get(i));
            if (merged.size() > max) merged = merged.subList(merged.size() - max, merged.size());
            return new Tail(List.copyOf(merged), open);
        } catch (IOException | RuntimeException e) {
            closeAll(open);
            throw e;
        }
    }

    /** A bounded, ordered selection of log lines over open files; see {@link #latest}. */
    public static final class Tail implements AutoCloseable {
        private final List<Line> lines;
        private final List<FileChannel> open;

        private Tail(List<Line> lines, List<FileChannel> open) {
            this.lines = lines;
            this.open = open;
        }

        public int size() {
            return lines.size();
        }

        /** Reads each entry in order and hands it to {@code sink}. */
        public void forEach(EntrySink sink) throws IOException {
            for (Line l : lines) sink.accept(l.read());
        }

        @Override
        public void close() {
            closeAll(open);
        }
    }

    /** Receives entries; may throw while writing them out. */
    @FunctionalInterface
    public interface EntrySink {
        void accept(Entry e) throws IOException;
    }

    /** Where one line is: its file, its byte range, the length of its timestamp prefix and the timestamp. */
    private record Line(FileChannel ch, String file, long start, long end, int prefix, long micros) {
        Entry read() throws IOException {
            int len = (int) Math.min(end - start - prefix, MAX_MESSAGE_BYTES);
            ByteBuffer b = ByteBuffer.allocate(len);
            readFully(ch, b, start + prefix);
            return new Entry(file, micros, new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
    }

    /**
     * Opens {@code log.1} and {@code log} as one consistent pair: when the watchdog rotates between
     * the two opens, the pair could hold the same file twice, so it is opened again.
     */
    private static FileChannel[] openPair(Path current, List<FileChannel> open) throws IOException {
        Path previous = rotated(current);
        for (int attempt = 0; ; attempt++) {
            Object before = fileKey(current);
            FileChannel cur = openIfExists(current);
            FileChannel prev = openIfExists(previous);
            if (Objects.equals(before, fileKey(current)) || attempt == 2) {
                if (cur != null) open.add(cur);
                if (prev != null) open.add(prev);
                return new FileChannel[] {prev, cur};
            }
            closeAll(java.util.Arrays.asList(cur, prev));
        }
    }

    private static Object fileKey(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private static FileChannel openIfExists(Path p) throws IOException {
        try {
            return FileChannel.open(p, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static void closeAll(List<FileChannel> channels) {
        for (FileChannel c : channels) {
            try {
                if (c != null) c.close();
            } catch (IOException ignored) {
                // closing a read-only file
            }
        }
    }

    /**
     * Adds to {@code out}, newest first, up to {@code max} non-empty lines of {@code ch} that start at
     * or after {@code floor} (a line boundary) and are stamped at or after {@code sinceMicros}.
     * Reads the file backwards in chunks. True when it stopped at a line older than {@code sinceMicros}
     * (the older file need not be read then).
     */
    private static boolean scanBackwards(FileChannel ch, String file, long floor, int max, long sinceMicros, List<Line> out)
            throws IOException {
        int target = out.size() + max < 0 ? Integer.MAX_VALUE : out.size() + max;
        long size = ch.size();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(1, size - floor)));
        long end = size;
        long pos = size;
        while (pos > floor && out.size() < target) {
            int n = (int) Math.min(buf.capacity(), pos - floor);
            long chunkStart = pos - n;
            buf.clear().limit(n);
            readFully(ch, buf, chunkStart);
            byte[] a = buf.array();
            for (int i = n - 1; i >= 0 && out.size() < target; i--) {
                if (a[i] != '\n') continue;
                long lineStart = chunkStart + i + 1;
                if (end > lineStart) {
                    Line l = line(ch, file, lineStart, end);
                    if (!newEnough(l, sinceMicros)) return true;
                    out.add(l);
                }
                end = chunkStart + i;
            }
            pos = chunkStart;
        }
        if (pos <= floor && end > floor && out.size() < target) {
            Line l = line(ch, file, floor, end);
            if (!newEnough(l, sinceMicros)) return true;
            out.add(l);
        }
        return false;
    }

    private static boolean newEnough(Line l, long sinceMicros) {
        return sinceMicros == Long.MIN_VALUE || (l.micros() != 0 && l.micros() >= sinceMicros);
    }

    private static Line line(FileChannel ch, String file, long start, long end) throws IOException {
        ByteBuffer head = ByteBuffer.allocate((int) Math.min(MAX_PREFIX, end - start));
        readFully(ch, head, start);
        byte[] h = head.array();
        int digits = 0;
        while (digits < head.position() && h[digits] >= '0' && h[digits] <= '9') digits++;
        if (digits > 0 && digits < head.position() && h[digits] == ' ' && digits <= 18) {
            long micros = Long.parseLong(new String(h, 0, digits, StandardCharsets.US_ASCII));
            return new Line(ch, file, start, end, digits + 1, micros);
        }
        return new Line(ch, file, start, end, 0, 0); // a line the watchdog did not write
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) break; // the file shrank (truncated): keep what was read
            p += r;
        }
    }

    /**
     * Merges two streams already in order by time; lines without a timestamp keep their place in their
     * own stream. Ties go to the first stream (stdout).
     */
    private static List<Line> merge(List<Line> a, List<Line> b) {
        List<Line> out = new ArrayList<>(a.size() + b.size());
        int i = 0;
        int j = 0;
        while (i < a.size() || j < b.size()) {
            if (j >= b.size() || (i < a.size() && key(a.get(i)) <= key(b.get(j)))) out.add(a.get(i++));
            else out.add(b.get(j++));
        }
        return out;
    }

    private static long key(Line l) {
        return l.micros() == 0 ? Long.MIN_VALUE : l.micros();
    }
}
