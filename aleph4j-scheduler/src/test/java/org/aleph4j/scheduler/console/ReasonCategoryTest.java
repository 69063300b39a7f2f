package org.aleph4j.scheduler.console;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The categories the console gives the engine's history reasons, on the engine's own wording. */
class ReasonCategoryTest {
    static final String A = "0x" + "a".repeat(40);
    static final String B = "0x" + "b".repeat(40);
    static final String LAPSE = "node " + A + " stopped renewing its lease (no heartbeat answered for 2000 ms)";

    @Test
    void eachWordingOfTheEngineGetsItsCategory() {
        assertThat(ReasonCategory.of("scheduled on " + A)).isEqualTo("placed");
        assertThat(ReasonCategory.of("lease lapsed: " + LAPSE)).isEqualTo("node-lost");
        assertThat(ReasonCategory.of("moved from " + A + " to " + B + ": " + LAPSE)).isEqualTo("node-lost");
        assertThat(ReasonCategory.of("released by " + A + ": node draining")).isEqualTo("drain");
        assertThat(ReasonCategory.of("moved from " + A + " to " + B + ": released by " + A + ": node draining")).isEqualTo("drain");
        assertThat(ReasonCategory.of("migration asked by the owner to " + B)).isEqualTo("migrate");
        assertThat(ReasonCategory.of("released by " + A + ": migrating at its owner's request")).isEqualTo("migrate");
        assertThat(ReasonCategory.of("removed: replaced by " + "c".repeat(64) + " (unpersisted)")).isEqualTo("unpersist");
        assertThat(ReasonCategory.of("removed: forgotten by " + "c".repeat(64))).isEqualTo("unpersist");
        assertThat(ReasonCategory.of("revoking: crash loop on " + A + " (5 restarts, last error: exit 1)")).isEqualTo("crash-loop");
        assertThat(ReasonCategory.of("moved from " + A + " to " + B + ": crash loop on " + A + " (5 restarts)")).isEqualTo("crash-loop");
        assertThat(ReasonCategory.of("removed: replaced by " + "c".repeat(64))).isEqualTo("other");
        assertThat(ReasonCategory.of("removed: removing: the owner's balance no longer covers it")).isEqualTo("other");
        assertThat(ReasonCategory.of("persistent program registered")).isEqualTo("other");
        assertThat(ReasonCategory.of(null)).isEqualTo("other");
    }

    @Test
    void aNodesOwnErrorTextCannotChangeTheCategory() {
        // the last error comes from the CRN: words in it are not read as the engine's
        assertThat(ReasonCategory.of("revoking: stopped on " + A + " (node draining, crash loop on x): placed again")).isEqualTo("other");
        assertThat(ReasonCategory.of("revoking: crash loop on " + A + " (1 restarts, last error: node draining)")).isEqualTo("crash-loop");
    }
}
