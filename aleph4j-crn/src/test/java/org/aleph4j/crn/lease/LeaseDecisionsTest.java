package org.aleph4j.crn.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.crn.lease.LeaseDecisions.Apply;
import org.aleph4j.crn.lease.LeaseDecisions.Ignored;
import org.aleph4j.crn.lease.LeaseDecisions.Trust;
import org.aleph4j.crn.lease.LeaseDecisions.Verdict;
import org.aleph4j.crn.lease.LeaseDecisions.Ignore;
import org.aleph4j.crn.lease.LeaseDecisions.Plan;
import org.aleph4j.crn.lease.LeaseDecisions.Renew;
import org.aleph4j.crn.lease.LeaseDecisions.Start;
import org.aleph4j.crn.lease.LeaseDecisions.Stop;
import org.junit.jupiter.api.Test;

/** The CRN's lease rules on their own: no clock, no scheduler, no programs, no keys (signers are given). */
class LeaseDecisionsTest {
    static final long MS = 1_000_000L;
    static final long SENT = 1_000 * MS;

    static final String SCHEDULER = "0x" + "ab".repeat(20);
    static final String OTHER = "0x" + "cd".repeat(20);
    static final String NODE = "0x" + "12".repeat(20);
    static final String NONCE = "0123456789abcdef";
    static final Trust TRUST = new Trust(Set.of(SCHEDULER), Duration.ofSeconds(10));

    static Heartbeat sent(long incarnation) {
        return new Heartbeat(NODE, "http://crn", new Capacity(1, 1024, 1024), List.of(), List.of(), "test", NONCE, 1.0,
                null, incarnation);
    }

    /** A valid answer (trusted signer, echoed nonce, incarnation 7) to a heartbeat naming incarnation 7. */
    static HeartbeatAnswer answer(List<LeaseGrant> grants) {
        return answer(grants, SCHEDULER, SCHEDULER, NONCE, 7);
    }

    static HeartbeatAnswer answer(List<LeaseGrant> grants, String signer, String claimed, String nonce, long incarnation) {
        return new HeartbeatAnswer.Granted(sent(7), new HeartbeatReply(NODE, 5_000, grants, 1.0, claimed, incarnation, nonce),
                signer);
    }

    static Plan decide(List<LeaseGrant> grants, long nowNanos, Map<String, Long> held, Set<String> running, Map<String, Long> seen) {
        Verdict v = LeaseDecisions.judge(answer(grants), TRUST, 7, SENT, nowNanos, held, running, seen);
        assertThat(v).isInstanceOf(Apply.class);
        assertThat(((Apply) v).incarnation()).isEqualTo(7);
        return ((Apply) v).plan();
    }

    /** The reason a whole answer is ignored (it must be ignored). */
    static String ignored(HeartbeatAnswer a, long highestIncarnation) {
        Verdict v = LeaseDecisions.judge(a, TRUST, highestIncarnation, SENT, SENT + MS, Map.of("held", 1L), Set.of("held/1"),
                Map.of("held", 1L));
        assertThat(v).isInstanceOf(Ignored.class);
        return ((Ignored) v).why();
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

    // ---- answers ignored as a whole: nothing starts, nothing is renewed, nothing (not even "held") is stopped

    @Test
    void anUnsignedAnswerIsIgnored() {
        assertThat(ignored(answer(List.of(new LeaseGrant("held", 1, 5_000)), null, SCHEDULER, NONCE, 7), 7))
                .contains("not signed");
    }

    @Test
    void anAnswerSignedByAKeyThatIsNotTrustedIsIgnored() {
        assertThat(ignored(answer(List.of(new LeaseGrant("held", 1, 5_000)), OTHER, OTHER, NONCE, 7), 7))
                .contains("signed by " + OTHER).contains("not a trusted scheduler");
    }

    @Test
    void anAnswerNamingAnotherSchedulerThanItsSignerIsIgnored() {
        assertThat(ignored(answer(List.of(new LeaseGrant("held", 1, 5_000)), SCHEDULER, OTHER, NONCE, 7), 7))
                .contains("names scheduler " + OTHER);
    }

    @Test
    void anAnswerToAnotherHeartbeatIsIgnored() {
        assertThat(ignored(answer(List.of(new LeaseGrant("held", 1, 5_000)), SCHEDULER, SCHEDULER, "ffffffffffffffff", 7), 7))
                .contains("another heartbeat");
    }

    @Test
    void anAnswerFromAnOlderIncarnationThanOneSeenIsIgnored() {
        assertThat(ignored(answer(List.of(new LeaseGrant("held", 1, 5_000)), SCHEDULER, SCHEDULER, NONCE, 6), 7))
                .contains("incarnation 6, older than 7");
    }

    @Test
    void anAnswerGrantingMoreThanTheCapIsIgnored() {
        assertThat(ignored(answer(List.of(new LeaseGrant("held", 1, 5_000), new LeaseGrant("a", 1, 10_001))), 7))
                .contains("10001 ms").contains("max-lease");
        Verdict atTheCap = LeaseDecisions.judge(answer(List.of(new LeaseGrant("a", 1, 10_000))), TRUST, 7, SENT, SENT,
                Map.of(), Set.of(), Map.of());
        assertThat(((Apply) atTheCap).plan().decisions()).containsExactly(new Start("a", 1, Duration.ofSeconds(10)));
    }

    @Test
    void aSignatureByATrustedKeyMatchesWhateverTheCaseOfTheAddress() {
        Verdict v = LeaseDecisions.judge(answer(List.of(), SCHEDULER.toUpperCase().replace("0X", "0x"), SCHEDULER, NONCE, 7),
                new Trust(Set.of(SCHEDULER.toUpperCase().replace("0X", "0x")), Duration.ofSeconds(5)), 7, SENT, SENT,
                Map.of(), Set.of(), Map.of());
        assertThat(v).isInstanceOf(Apply.class);
    }

    @Test
    void aNewerIncarnationInAValidAnswerBecomesTheOneSeen() {
        Verdict v = LeaseDecisions.judge(answer(List.of(), SCHEDULER, SCHEDULER, NONCE, 9), TRUST, 7, SENT, SENT, Map.of(),
                Set.of(), Map.of());
        assertThat(((Apply) v).incarnation()).isEqualTo(9);
    }

    // ---- incarnation refusals

    static HeartbeatAnswer changed(String signer, String claimed, String nonce, long sentIncarnation, long told) {
        return new HeartbeatAnswer.IncarnationChanged(sent(sentIncarnation),
                new HeartbeatAnswer.Notice(claimed, told, nonce, NODE), signer);
    }

    @Test
    void aTrustedRefusalNamingANewerIncarnationMeansRetryWithIt() {
        assertThat(LeaseDecisions.judge(changed(SCHEDULER, SCHEDULER, NONCE, 7, 8), TRUST, 7, SENT, SENT, Map.of(), Set.of(),
                Map.of())).isEqualTo(new LeaseDecisions.RetryWith(8));
    }

    @Test
    void aRefusalThatIsUnsignedUntrustedForAnotherHeartbeatOrNotNewerIsIgnored() {
        assertThat(ignored(changed(null, SCHEDULER, NONCE, 7, 8), 7)).contains("not signed");
        assertThat(ignored(changed(OTHER, OTHER, NONCE, 7, 8), 7)).contains("not a trusted scheduler");
        assertThat(ignored(changed(SCHEDULER, SCHEDULER, "ffffffffffffffff", 7, 8), 7)).contains("another heartbeat");
        assertThat(ignored(changed(SCHEDULER, SCHEDULER, NONCE, 7, 6), 7)).contains("older than 7");
        assertThat(ignored(changed(SCHEDULER, SCHEDULER, NONCE, 7, 7), 7)).contains("names no newer one");
    }

    @Test
    void trustNeedsAnAddressAndACapOfAtMostSixtySeconds() {
        assertThatThrownBy(() -> new Trust(Set.of(), Duration.ofSeconds(5))).hasMessageContaining("scheduler-addresses");
        assertThatThrownBy(() -> new Trust(Set.of("nope"), Duration.ofSeconds(5))).hasMessageContaining("40 hex");
        assertThatThrownBy(() -> new Trust(Set.of(SCHEDULER), Duration.ofSeconds(61))).hasMessageContaining("at most 60 s");
    }

    @Test
    void aNegativeLeaseStartsNothing() {
        Plan p = decide(List.of(new LeaseGrant("a", 1, -5_000)), SENT, Map.of(), Set.of(), Map.of());
        assertThat(p.decisions()).singleElement().isInstanceOf(Ignore.class);
    }
}
