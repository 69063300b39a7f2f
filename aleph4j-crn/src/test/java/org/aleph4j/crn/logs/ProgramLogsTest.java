package org.aleph4j.crn.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramLogsTest {
    static final String HASH = "a".repeat(64);

    @TempDir
    Path dir;

    ProgramLogs logs() {
        return new ProgramLogs(dir);
    }

    static String lines(long fromMicros, String... texts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < texts.length; i++) b.append(fromMicros + i).append(' ').append(texts[i]).append('\n');
        return b.toString();
    }

    static List<String> messages(List<ProgramLogs.Entry> entries) {
        return entries.stream().map(e -> e.file() + ":" + e.message()).toList();
    }

    @Test
    void theRotatedFileIsReadBeforeTheCurrentOneAndStreamsAreMergedInTimeOrder() throws Exception {
        ProgramLogs logs = logs();
        Path out = logs.stdout(HASH);
        Path err = logs.stderr(HASH);
        Files.writeString(ProgramLogs.rotated(out), lines(100, "o1", "o2"));
        Files.writeString(out, lines(300, "o3", "o4"));
        Files.writeString(ProgramLogs.rotated(err), lines(150, "e1"));
        Files.writeString(err, lines(350, "e2"));
        assertThat(messages(logs.entries(HASH))).containsExactly("stdout:o1", "stdout:o2", "stderr:e1", "stdout:o3",
                "stdout:o4", "stderr:e2");
        assertThat(logs.entries(HASH).get(0).realtimeMicros()).isEqualTo(100);
    }

    @Test
    void theLatestEntriesCrossTheRotationBoundaryNewestLast() throws Exception {
        ProgramLogs logs = logs();
        Path out = logs.stdout(HASH);
        Files.writeString(ProgramLogs.rotated(out), lines(1, "a", "b", "c"));
        Files.writeString(out, lines(10, "d", "e"));
        try (ProgramLogs.Tail tail = logs.latest(HASH, 4)) {
            List<ProgramLogs.Entry> got = new ArrayList<>();
            tail.forEach(got::add);
            assertThat(messages(got)).containsExactly("stdout:b", "stdout:c", "stdout:d", "stdout:e");
        }
        try (ProgramLogs.Tail tail = logs.latest(HASH, 2)) {
            List<ProgramLogs.Entry> got = new ArrayList<>();
            tail.forEach(got::add);
            assertThat(messages(got)).containsExactly("stdout:d", "stdout:e");
        }
    }

    @Test
    void onlyTheCurrentFileOrOnlyTheRotatedOneIsReadAsWell() throws Exception {
        ProgramLogs logs = logs();
        Path out = logs.stdout(HASH);
        Files.writeString(ProgramLogs.rotated(out), lines(1, "old"));
        assertThat(messages(logs.entries(HASH))).containsExactly("stdout:old"); // rotated, new file not started yet
        Files.delete(ProgramLogs.rotated(out));
        Files.writeString(out, lines(5, "new"));
        assertThat(messages(logs.entries(HASH))).containsExactly("stdout:new");
    }

    @Test
    void oddLinesAreKeptInPlaceAndOverlongOnesAreCut() throws Exception {
        ProgramLogs logs = logs();
        String huge = "x".repeat(ProgramLogs.MAX_MESSAGE_BYTES + 1000);
        // a line without timestamp, an empty line, a huge line, and a last line still being written (no newline)
        Files.writeString(logs.stdout(HASH), "5 first\nno timestamp here\n\n6 " + huge + "\n7 partial");
        List<ProgramLogs.Entry> entries = logs.entries(HASH);
        assertThat(entries).extracting(ProgramLogs.Entry::message).hasSize(4)
                .startsWith("first", "no timestamp here").endsWith("partial");
        assertThat(entries.get(1).realtimeMicros()).isZero();
        assertThat(entries.get(2).message()).hasSize(ProgramLogs.MAX_MESSAGE_BYTES);
    }

    @Test
    void linesLongerThanTheReadChunkAndUtf8AreReadWhole() throws Exception {
        ProgramLogs logs = logs();
        String long1 = "é".repeat(20_000); // 40,000 bytes: lines cross 64 KiB chunk boundaries
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) b.append(1000 + i).append(' ').append(i).append(long1).append('\n');
        Files.writeString(logs.stdout(HASH), b.toString(), StandardCharsets.UTF_8);
        List<ProgramLogs.Entry> entries = logs.entries(HASH);
        assertThat(entries).hasSize(10);
        for (int i = 0; i < 10; i++) assertThat(entries.get(i).message()).isEqualTo(i + long1);
    }

    @Test
    void tailSinceAnOffsetReadsOnlyNewLinesAndAllOfAFileRotatedMeanwhile() throws Exception {
        ProgramLogs logs = logs();
        Path err = logs.stderr(HASH);
        Files.writeString(err, lines(1, "before"));
        long offset = logs.size(err);
        Files.writeString(err, lines(2, "after1", "after2", "after3"), java.nio.file.StandardOpenOption.APPEND);
        assertThat(logs.tail(err, offset, 2)).containsExactly("after2", "after3");
        assertThat(logs.tail(err, offset, 20)).containsExactly("after1", "after2", "after3");
        // rotated meanwhile: the new file is shorter than the offset, and all of it is new
        Files.move(err, ProgramLogs.rotated(err), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(err, lines(9, "x"));
        assertThat(logs.tail(err, offset + 1000, 20)).containsExactly("x");
    }

    @Test
    void markersMergeAsNodeEntriesAndSinceIsInclusiveAcrossTheRotationBoundary() throws Exception {
        ProgramLogs logs = logs();
        Path out = logs.stdout(HASH);
        Files.writeString(ProgramLogs.rotated(out), lines(100, "o1", "o2"));
        Files.writeString(out, lines(300, "o3", "o4"));
        logs.mark(HASH, java.time.Instant.ofEpochSecond(0, 50_000), "--- started ---");
        logs.mark(HASH, java.time.Instant.ofEpochSecond(0, 400_000), "--- stopped:\nidle for 2 s ---");
        assertThat(messages(logs.entries(HASH))).containsExactly("node:--- started ---", "stdout:o1", "stdout:o2", "stdout:o3",
                "stdout:o4", "node:--- stopped: idle for 2 s ---");
        for (long since : new long[] {101, 300}) {
            try (ProgramLogs.Tail tail = logs.latest(HASH, 100, since)) {
                List<ProgramLogs.Entry> got = new ArrayList<>();
                tail.forEach(got::add);
                assertThat(messages(got)).as("since " + since).containsExactlyElementsOf(since == 101
                        ? List.of("stdout:o2", "stdout:o3", "stdout:o4", "node:--- stopped: idle for 2 s ---")
                        : List.of("stdout:o3", "stdout:o4", "node:--- stopped: idle for 2 s ---"));
            }
        }
        try (ProgramLogs.Tail tail = logs.latest(HASH, 100, 401)) {
            assertThat(tail.size()).isZero();
        }
    }
}
