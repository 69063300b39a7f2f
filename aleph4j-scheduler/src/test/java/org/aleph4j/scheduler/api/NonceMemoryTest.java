package org.aleph4j.scheduler.api;

import org.aleph4j.scheduler.api.NonceMemory.Outcome;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The replay memory on its own, with times given: bounded, and never letting a replay through within its window. */
class NonceMemoryTest {
    static final long S = 1_000_000_000L;
    static final Duration WINDOW = Duration.ofSeconds(60);

    @Test
    void aNonceIsRefusedAgainWithinTheWindowAndForgottenAfterIt() {
        NonceMemory m = new NonceMemory(WINDOW, 10, 100);
        assertThat(m.record("0xa", "n1", 100.0, 0)).isEqualTo(Outcome.FRESH);
        assertThat(m.record("0xa", "n1", 100.0, 59 * S)).isEqualTo(Outcome.REPLAYED);
        assertThat(m.record("0xb", "n1", 100.0, 59 * S)).as("another node's nonce").isEqualTo(Outcome.FRESH);
        assertThat(m.size()).isEqualTo(2);
        // Past the window the request's own time is outside the allowed skew: the memory may let go.
        assertThat(m.record("0xc", "other", 200.0, 121 * S)).isEqualTo(Outcome.FRESH);
        assertThat(m.size()).isEqualTo(1);
        assertThat(m.nodes()).isEqualTo(1);
    }

    @Test
    void aNodeOverItsBoundLosesItsOldestNonceAndNothingOlderThanItIsAcceptedFromIt() {
        NonceMemory m = new NonceMemory(WINDOW, 3, 100);
        for (int i = 1; i <= 3; i++) assertThat(m.record("0xa", "n" + i, i, i)).isEqualTo(Outcome.FRESH);
        assertThat(m.record("0xa", "n4", 4, 4)).isEqualTo(Outcome.FRESH);
        assertThat(m.size()).isEqualTo(3);
        assertThat(m.record("0xa", "n1", 1, 5)).as("the forgotten nonce, replayed").isEqualTo(Outcome.TOO_OLD);
        assertThat(m.record("0xa", "fresh-but-older", 0.5, 5)).isEqualTo(Outcome.TOO_OLD);
        assertThat(m.record("0xa", "n2", 2, 5)).isEqualTo(Outcome.REPLAYED);
        assertThat(m.record("0xa", "n5", 5, 5)).isEqualTo(Outcome.FRESH);
        assertThat(m.record("0xb", "old-but-other-node", 0.5, 5)).as("other nodes are not held back").isEqualTo(Outcome.FRESH);
    }

    @Test
    void overTheTotalBoundTheOldestNonceGoesAndNoRequestAsOldIsAcceptedFromAnyone() {
        NonceMemory m = new NonceMemory(WINDOW, 3, 4);
        m.record("0xa", "a1", 1, 1);
        m.record("0xa", "a2", 2, 2);
        m.record("0xb", "b1", 3, 3);
        m.record("0xb", "b2", 4, 4);
        assertThat(m.record("0xc", "c1", 5, 5)).isEqualTo(Outcome.FRESH);
        assertThat(m.size()).isEqualTo(4);
        assertThat(m.record("0xa", "a1", 1, 6)).isEqualTo(Outcome.TOO_OLD);
        assertThat(m.record("0xd", "d1", 1, 6)).isEqualTo(Outcome.TOO_OLD);
        assertThat(m.record("0xd", "d2", 6, 6)).isEqualTo(Outcome.FRESH);
    }

    @Test
    void underAFloodTheMemoryStaysWithinItsBoundsAndNoAcceptedNonceIsEverAcceptedAgain() {
        NonceMemory m = new NonceMemory(WINDOW, 16, 500);
        Random random = new Random(42);
        record Sent(String node, String nonce, double time) {}
        List<Sent> accepted = new ArrayList<>();
        long now = 0;
        for (int i = 0; i < 20_000; i++) {
            now += 1_000_000; // 1 ms apart: all within one window
            // times out of order (clocks of many nodes, within the skew) and a few chatty nodes; under the total
            // bound the memory refuses what is not newer than the newest it forgot, so fewer get through
            String node = "0x" + (random.nextInt(4) == 0 ? random.nextInt(3) : random.nextInt(2_000));
            Sent s = new Sent(node, "n" + i, 1000 + now / 1e9 + random.nextDouble() * 20 - 10);
            if (m.record(s.node(), s.nonce(), s.time(), now) == Outcome.FRESH) accepted.add(s);
            assertThat(m.size()).isLessThanOrEqualTo(500);
            assertThat(m.nodes()).isLessThanOrEqualTo(500);
        }
        assertThat(accepted.size()).isGreaterThan(1_000);
        for (Sent s : accepted) {
            assertThat(m.record(s.node(), s.nonce(), s.time(), now)).as("replay of %s", s).isNotEqualTo(Outcome.FRESH);
        }
    }
}
