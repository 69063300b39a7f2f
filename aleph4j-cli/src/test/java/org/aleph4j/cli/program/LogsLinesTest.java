package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@code aleph program logs} prints entries, and what a follower keeps of the CRN's inclusive {@code since}. */
class LogsLinesTest {
    static JsonNode entry(String file, long micros, String message) {
        return Json.MAPPER.createObjectNode().put("SYSLOG_IDENTIFIER", "vm-x-" + file).put("MESSAGE", message).put("file", file)
                .put("__REALTIME_TIMESTAMP", Long.toString(micros));
    }

    static final long T = 1_796_154_303_123_456L; // 2026-12-01T19:45:03.123456Z

    @Test
    void eachLineHasAnIsoTimeAndItsStream() {
        assertThat(LogsCommand.line(entry("stdout", T, "hello"))).isEqualTo("2026-12-01T19:45:03.123Z stdout hello");
        assertThat(LogsCommand.line(entry("stderr", T, "INFO:     Shutting down"))).isEqualTo("2026-12-01T19:45:03.123Z stderr INFO:     Shutting down");
        assertThat(LogsCommand.line(entry("node", T, "--- started (epoch 3) ---"))).isEqualTo("2026-12-01T19:45:03.123Z node   --- started (epoch 3) ---");
        assertThat(LogsCommand.line(entry("stdout", 0, "no stamp"))).isEqualTo("- stdout no stamp");
    }

    @Test
    void aFollowerDropsWhatItHasAlreadyPrintedAtTheBoundaryButKeepsNewLinesOfTheSameMicrosecond() {
        LogsCommand.Cursor c = new LogsCommand.Cursor();
        assertThat(c.fresh(List.of(entry("stdout", T, "a"), entry("stdout", T + 1, "b")))).hasSize(2);
        assertThat(c.since()).isEqualTo(T + 1);
        List<JsonNode> next = c.fresh(List.of(entry("stdout", T + 1, "b"), entry("stderr", T + 1, "c"), entry("stdout", T + 2, "d")));
        assertThat(next.stream().map(e -> e.path("MESSAGE").asText())).containsExactly("c", "d");
        assertThat(c.fresh(List.of(entry("stdout", T + 2, "d")))).isEmpty();
    }
}
