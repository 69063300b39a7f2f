package org.aleph4j.scheduler.lease;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeaseBookTest {
    static final long MS = 1_000_000L;
    static final LeasePolicy POLICY = LeasePolicy.DEFAULT; // 5 s + 2 s

    @Test
    void aLeaseDoesNotLapseBeforeTtlPlusDriftSinceTheLastRenewal() {
        LeaseBook book = new LeaseBook(POLICY);
        book.assign("p", "0xa", 1, 0);
        book.renew("0xa", 3_000 * MS);
        assertThat(book.lapsed(3_000 * MS + 7_000 * MS)).isEmpty();
        assertThat(book.assignable("p", 10_000 * MS)).isFalse();
        assertThat(book.lapsed(3_000 * MS + 7_000 * MS + 1)).extracting(Lease::nodeAddress).containsExactly("0xa");
        assertThat(book.assignable("p", 10_000 * MS + 1)).isTrue();
    }

    @Test
    void aProgramCannotBeAssignedWhileItsHolderMayStillBelieveItHoldsIt() {
        LeaseBook book = new LeaseBook(POLICY);
        book.assign("p", "0xa", 1, 0);
        assertThatThrownBy(() -> book.assign("p", "0xb", 2, 6_999 * MS)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void releasingHandsTheProgramBackAtOnceButOnlyFromTheHolderAndEpoch() {
        LeaseBook book = new LeaseBook(POLICY);
        book.assign("p", "0xa", 4, 0);
        assertThat(book.release("p", "0xb", 4)).isEmpty();
        assertThat(book.release("p", "0xa", 3)).isEmpty();
        assertThat(book.release("p", "0xa", 4)).isPresent();
        assertThat(book.assign("p", "0xb", 5, 1).epoch()).isEqualTo(5);
    }

    @Test
    void aRemovedProgramThatComesBackWaitsUntilTheOldLeaseLapsed() {
        LeaseBook book = new LeaseBook(POLICY);
        book.assign("p", "0xa", 1, 0);
        book.remove("p");
        assertThat(book.renew("0xa", 1 * MS)).isEmpty();
        assertThat(book.assignable("p", 7_000 * MS)).isFalse();
        assertThat(book.assignable("p", 7_000 * MS + 1)).isTrue();
    }

    @Test
    void aRevokedLeaseIsNoLongerRenewedAndLapses() {
        LeaseBook book = new LeaseBook(POLICY);
        book.assign("p", "0xa", 1, 0);
        book.revoke("p");
        assertThat(book.renew("0xa", 5_000 * MS)).isEmpty();
        assertThat(book.lapsed(7_000 * MS + 1)).hasSize(1);
    }

    @Test
    void aLeasePastTtlPlusDriftIsNotRenewedEvenBeforeAnyoneLetItLapse() {
        LeaseBook book = new LeaseBook(POLICY);
        book.assign("p", "0xa", 1, 0);
        // The placement cycle may be late (a slow database): the renewal itself refuses what lapsed.
        assertThat(book.renew("0xa", 7_000 * MS)).hasSize(1);
        assertThat(book.renew("0xa", 14_000 * MS + 1)).isEmpty();
        assertThat(book.lapsed(14_000 * MS + 1)).extracting(Lease::itemHash).containsExactly("p");
    }

    @Test
    void epochsMustGrow() {
        LeaseBook book = new LeaseBook(POLICY);
        book.adopt("p", "0xa", 7, 0);
        book.release("p", "0xa", 7);
        assertThatThrownBy(() -> book.assign("p", "0xb", 7, 1)).isInstanceOf(IllegalStateException.class);
        assertThat(book.assign("p", "0xb", 8, 1).epoch()).isEqualTo(8);
    }

    /** A random run of heartbeats (with random network delays), silences, releases and placements. */
    record Step(int kind, int node, long advanceMs, long delayMs) {}

    @Provide
    Arbitrary<List<Step>> runs() {
        Arbitrary<Step> step = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 3),
                Arbitraries.integers().between(0, 2), Arbitraries.longs().between(0, 4_000),
                Arbitraries.longs().between(0, 1_500)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(200);
    }

    /**
     * Simulates CRNs that count their lease from the SEND time of each answered heartbeat (sent up to
     * 1.5 s before the answer); checks that whenever the book assigns the program to a node, no other
     * node can still believe it holds a lease, and that epochs only grow.
     */
    @Property(tries = 300)
    void aLeaseIsNeverGrantedToASecondNodeWhileTheFirstCanStillBelieveItHoldsOne(@ForAll("runs") List<Step> steps) {
        LeaseBook book = new LeaseBook(POLICY);
        String[] nodes = {"0xa", "0xb", "0xc"};
        Map<String, Long> believedUntil = new HashMap<>(); // node -> real time (ms) its lease ends in its own view
        long now = 0;
        long lastEpoch = 0;
        for (Step s : steps) {
            now += s.advanceMs();
            book.lapsed(now * MS);
            String node = nodes[s.node()];
            switch (s.kind()) {
                case 0, 1 -> { // heartbeat sent at now - delay, answered now
                    long sent = now - Math.min(s.delayMs(), now);
                    if (!book.renew(node, now * MS).isEmpty()) {
                        // The CRN's lease is ttl from its send time, which precedes our grant.
                        believedUntil.put(node, sent + POLICY.leaseTtl().toMillis());
                    }
                }
                case 2 -> { // try to place the program on this node
                    if (book.assignable("p", now * MS)) {
                        for (var e : believedUntil.entrySet()) {
                            if (!e.getKey().equals(node)) assertThat(e.getValue()).isLessThan(now);
                        }
                        long epoch = lastEpoch + 1;
                        book.assign("p", node, epoch, now * MS);
                        believedUntil.put(node, now + POLICY.leaseTtl().toMillis());
                        assertThat(epoch).isGreaterThan(lastEpoch);
                        lastEpoch = epoch;
                    }
                }
                default -> { // the holder releases (it stopped the program first)
                    book.get("p").filter(l -> l.nodeAddress().equals(node)).ifPresent(l -> {
                        book.release("p", node, l.epoch());
                        believedUntil.remove(node);
                    });
                }
            }
            book.get("p").ifPresent(l -> assertThat(l.epoch()).isEqualTo(book.highestEpoch("p")));
        }
    }
}
