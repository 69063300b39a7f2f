package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class OutputFormatTest {
    @Test
    void timesAreIsoUtcToTheMillisecondWhenNotAWholeSecond() {
        assertThat(OutputFormat.time(1796154303.0)).isEqualTo("2026-12-01T19:45:03Z");
        assertThat(OutputFormat.time(1796154303.25)).isEqualTo("2026-12-01T19:45:03.250Z");
        assertThat(OutputFormat.time(Instant.parse("2026-12-01T19:45:03.123456789Z"))).isEqualTo("2026-12-01T19:45:03.123Z");
        assertThat(OutputFormat.time("2026-12-01T20:45:03.123456+01:00")).isEqualTo("2026-12-01T19:45:03.123Z");
        assertThat(OutputFormat.time("1796154303")).isEqualTo("2026-12-01T19:45:03Z");
        assertThat(OutputFormat.time("yesterday")).isEqualTo("yesterday");
        assertThat(OutputFormat.journalTime("1796154303250000")).isEqualTo("2026-12-01T19:45:03.250Z");
    }

    @Test
    void amountsArePlainDecimalsWithAtMost18DecimalsAndNoTrailingZeros() {
        assertThat(OutputFormat.amount(BigDecimal.valueOf(35219.07552081426))).isEqualTo("35219.07552081426");
        assertThat(OutputFormat.amount(new BigDecimal("2000.000"))).isEqualTo("2000");
        assertThat(OutputFormat.amount(new BigDecimal("1E+3"))).isEqualTo("1000");
        assertThat(OutputFormat.amount(new BigDecimal("0.00"))).isEqualTo("0");
        assertThat(OutputFormat.amount(new BigDecimal("1.0000000000000000005"))).isEqualTo("1");
        assertThat(OutputFormat.amount(new BigDecimal("0.000000000000000001"))).isEqualTo("0.000000000000000001");
        assertThat(OutputFormat.amount("12.50")).isEqualTo("12.5");
        assertThat(OutputFormat.amount("?")).isEqualTo("?");
    }

    @Test
    void normalizeRewritesTimesAndAmountsButNeverASignedMessageOrUserDocument() throws Exception {
        JsonNode in = Json.MAPPER.readTree("""
                {"item_hash": "h", "since": 1796154303.5, "balance": 35219.07552081426, "cost": "3.10",
                 "vm": {"history": [{"time": 1796154303}]},
                 "message": {"time": 1796154303.5, "balance": 1.5},
                 "signed": {"item_hash": "x", "sender": "0x1", "signature": "0x2", "time": 1796154303.5}}
                """);
        JsonNode out = OutputFormat.normalize(in);
        assertThat(out.path("since").asText()).isEqualTo("2026-12-01T19:45:03.500Z");
        assertThat(out.path("balance").asText()).isEqualTo("35219.07552081426");
        assertThat(out.path("cost").asText()).isEqualTo("3.1");
        assertThat(out.path("vm").path("history").get(0).path("time").asText()).isEqualTo("2026-12-01T19:45:03Z");
        assertThat(out.path("message")).isEqualTo(in.path("message"));
        assertThat(out.path("signed")).isEqualTo(in.path("signed"));
        assertThat(in.path("since").isNumber()).as("the input is not changed").isTrue();
    }
}
