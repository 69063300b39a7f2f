package org.aleph4j.crn.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.crn.lease.LeaseDecisions.Ignore;
import org.aleph4j.crn.lease.LeaseDecisions.Plan;
import org.aleph4j.crn.lease.LeaseDecisions.Renew;
import org.aleph4j.crn.lease.LeaseDecisions.Start;
import org.aleph4j.crn.lease.LeaseDecisions.Stop;
import org.junit.jupiter.api.Test;

/** The CRN's lease rules on their own: no clock, no scheduler, no programs. */
class LeaseDecisionsTest {
    static final long MS = 1_000_000L;
    static final long SENT = 1_000 * MS;

    static Plan decide(List<LeaseGrant> grants, long nowNanos, Map<String, Long> held, Set<String> running, Map<String, Long> seen) {
        return LeaseDecisions.decide(grants, SENT, nowNanos, held, running, seen);
    }

    @Test
    void aNewAllocationStartsWithTheLeaseCountedFromWhenTheHeartbeatWasSent() {
        Plan p = decide(List.of(new LeaseGrant("a", 3, 5_000)), SENT + 1_200 * MS, Map.of(), Set.of(), Map.of());
        assertThat(p.decisions()).containsExactly(new Start("a", 3, Duration.ofMillis(3_800)));
        assertThat(p.highestEpochs()).containsEntry("a", 3L);
    }

    @Test
    void theHeldEpochThatStillRunsIsRenewedNotRestarted() {
        Plan p = decide(List.of(new LeaseGrant("a", 3, 5_000)), SENT + 100 * MS, Map.of("a", 3L), Set.of("a/3"), Map.of("a", 3L));
        assertThat(p.decisions()).containsExactly(new Renew("a", 3, Duration.ofMillis(4_900)));
    }

    @Test
    void aHeldEpochThatNoLongerRunsIsStartedAgain() {
        Plan p = decide(List.of(new LeaseGrant("a", 3, 5_000)), SENT, Map.of("a", 3L), Set.of(), Map.of("a", 3L));
        assertThat(p.decisions()).containsExactly(new Start("a", 3, Duration.ofMillis(5_000)));
    }

    @Test
    void aNewerEpochReplacesTheHeldOne() {
        Plan p = decide(List.of(new LeaseGrant("a", 4, 5_000)), SENT, Map.of("a", 3L), Set.of("a/3"), Map.of("a", 3L));
        assertThat(p.decisions()).containsExactly(new Start("a", 4, Duration.ofMillis(5_000)));
        assertThat(p.highestEpochs()).containsEntry("a", 4L);
    }

    @Test
    void anOlderEpochThanOneSeenIsIgnoredAndItsHeldCopyStopped() {
        Plan p = decide(List.of(new LeaseGrant("a", 2, 5_000)), SENT, Map.of("a", 3L), Set.of("a/3"), Map.of("a", 3L));
        assertThat(p.decisions()).hasSize(2);
        assertThat(p.decisions().get(0)).isInstanceOf(Ignore.class);
        assertThat(((Ignore) p.decisions().get(0)).why()).contains("older than 3");
        assertThat(p.decisions().get(1)).isEqualTo(new Stop("a"));
        assertThat(p.highestEpochs()).containsEntry("a", 3L);
    }

    @Test
    void anAnswerThatArrivesAfterItsLeaseRanOutIsNotUsed() {
        Plan p = decide(List.of(new LeaseGrant("a", 3, 5_000)), SENT + 5_000 * MS, Map.of(), Set.of(), Map.of());
        assertThat(p.decisions()).singleElement().isInstanceOf(Ignore.class);
        assertThat(((Ignore) p.decisions().get(0)).why()).contains("after the lease ran out");
    }

    @Test
    void aHeldProgramMissingFromTheAnswerIsStoppedAndOthersAreUntouched() {
        Plan p = decide(List.of(new LeaseGrant("b", 1, 5_000)), SENT, Map.of("a", 3L, "b", 1L), Set.of("a/3", "b/1"),
                Map.of("a", 3L, "b", 1L));
        assertThat(p.decisions()).containsExactly(new Renew("b", 1, Duration.ofMillis(5_000)), new Stop("a"));
    }

    @Test
    void anEmptyAnswerStopsEverythingHeld() {
        Plan p = decide(List.of(), SENT, Map.of("a", 3L), Set.of("a/3"), Map.of("a", 3L));
        assertThat(p.decisions()).containsExactly(new Stop("a"));
        assertThat(p.highestEpochs()).containsEntry("a", 3L);
    }

    @Test
    void aLeaseLongerThanTheCapIsHonouredOnlyUpToTheCap() {
        Plan p = decide(List.of(new LeaseGrant("a", 1, 86_400_000)), SENT, Map.of(), Set.of(), Map.of());
        assertThat(p.decisions()).containsExactly(new Start("a", 1, LeaseDecisions.MAX_LEASE));
    }

    @Test
    void aNegativeLeaseStartsNothing() {
        Plan p = decide(List.of(new LeaseGrant("a", 1, -5_000)), SENT, Map.of(), Set.of(), Map.of());
        assertThat(p.decisions()).singleElement().isInstanceOf(Ignore.class);
    }
}
