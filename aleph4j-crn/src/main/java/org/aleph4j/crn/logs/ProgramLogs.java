package org.aleph4j.crn.logs;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * stdout/stderr of a program, kept across its executions under {@code logs/<item_hash>/}. The
 * watchdog writes each line as {@code "<unix micros> <text>"}; this class reads them back.
 */
public final class ProgramLogs {
    /** One line of output, shaped as upstream's log entries. */
    public record Entry(String file, long realtimeMicros, String message) {}

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

    /** The last {@code max} lines of {@code file} written after byte {@code from}, without timestamps. */
    public List<String> tail(Path file, long from, int max) {
        Deque<String> lines = new ArrayDeque<>();
        if (!Files.exists(file)) return List.of();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(from, raf.length() - 64 * 1024);
            raf.seek(start);
            byte[] buf = new byte[(int) (raf.length() - start)];
            raf.readFully(buf);
            for (String line : new String(buf, StandardCharsets.UTF_8).split("\n")) {
                if (line.isEmpty()) continue;
                lines.addLast(parse("stderr", line).message());
                if (lines.size() > max) lines.removeFirst();
            }
        } catch (IOException e) {
            return List.of();
        }
        return List.copyOf(lines);
    }

    /** All entries of a program, stdout and stderr merged in time order. */
    public List<Entry> entries(String itemHash) {
        List<Entry> all = new ArrayList<>();
        for (String file : List.of("stdout", "stderr")) {
            Path p = root.resolve(itemHash).resolve(file + ".log");
            if (!Files.exists(p)) continue;
            try (var lines = Files.lines(p, StandardCharsets.UTF_8)) {
                lines.filter(l -> !l.isEmpty()).forEach(l -> all.add(parse(file, l)));
            } catch (IOException | UncheckedIOException e) {
                // a log being rotated or removed reads as fewer lines, not as an error
            }
        }
        all.sort(java.util.Comparator.comparingLong(Entry::realtimeMicros));
        return all;
    }

    private static Entry parse(String file, String line) {
        int sp = line.indexOf(' ');
        if (sp > 0) {
            try {
                return new Entry(file, Long.parseLong(line.substring(0, sp)), line.substring(sp + 1));
            } catch (NumberFormatException ignored) {
                // fall through: a line the watchdog did not write
            }
        }
        return new Entry(file, 0, line);
    }
}
