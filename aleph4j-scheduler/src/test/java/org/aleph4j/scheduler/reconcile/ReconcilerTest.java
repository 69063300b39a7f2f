package org.aleph4j.scheduler.reconcile;

import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.reconcile.Decision.Avoid;
import org.aleph4j.scheduler.reconcile.Decision.Deallocate;
import org.aleph4j.scheduler.reconcile.Decision.Lapse;
import org.aleph4j.scheduler.reconcile.Decision.MarkUnschedulable;
import org.aleph4j.scheduler.reconcile.Decision.Place;
import org.aleph4j.scheduler.reconcile.Decision.Revoke;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.aleph4j.scheduler.reconcile.ReconcilerHarness.FENCE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class ReconcilerTest {
    static final String A = "0xa", B = "0xb";
    static final Duration SECOND = Duration.ofSeconds(1);
    static final String SILENT_A = "node 0xa stopped renewing its lease (no heartbeat answered for 7000 ms)";

    private static List<String> hashes(List<Lease> grants) {
        return grants.stream().map(Lease::itemHash).toList();
    }

    @Test
    void pendingProgramIsPlacedUnderTheNextEpochAndGrantedToItsNode() {
        var h = new ReconcilerHarness();
        h.program("p", 4);
        h.advance(Duration.ofSeconds(8)); // past the warm-up, so a program that ran before may go
        h.heartbeat(A);

        assertThat(h.tick()).containsExactly(new Place("p", A, 5, null, "scheduled on 0xa"));
        assertThat(h.stored("p").epoch()).isEqualTo(5);
        assertThat(h.heartbeat(A)).extracting(Lease::itemHash, Lease::epoch).containsExactly(
                tuple("p", 5L));
    }

    @Test
    void healthyRenewalsDecideNothing() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.heartbeat(B);
        assertThat(h.tick()).hasSize(1);

        for (int i = 0; i < 30; i++) {
            h.advance(SECOND);
            assertThat(hashes(h.heartbeat(A))).containsExactly("p");
            h.heartbeat(B);
            assertThat(h.tick()).isEmpty();
        }
        assertThat(h.plans.subList(3, h.plans.size())).allMatch(List::isEmpty);
        assertThat(h.lease("p")).get().extracting(Lease::nodeAddress, Lease::epoch).containsExactly(A, 1L);
        assertThat(h.sink.history).containsExactly("p: scheduled on 0xa");
    }

    @Test
    void silentNodesLeaseLapsesOnlyAfterTtlPlusDriftThenTheProgramMoves() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.heartbeat(B);
        assertThat(h.tick()).containsExactly(new Place("p", A, 1, null, "scheduled on 0xa"));

        for (int i = 0; i < 7; i++) { // A falls silent; B keeps heartbeating
            h.advance(SECOND);
            h.heartbeat(B);
            assertThat(h.tick()).isEmpty();
        }
        h.advanceNanos(1);
        List<Decision> plan = h.tick();

        assertThat(plan).hasSize(2);
        assertThat(plan.get(0)).isInstanceOfSatisfying(Lapse.class, l -> {
            assertThat(l.lease().nodeAddress()).isEqualTo(A);
            assertThat(l.why()).isEqualTo(SILENT_A);
        });
        assertThat(plan.get(1)).isEqualTo(new Place("p", B, 2, A, "moved from 0xa to 0xb: " + SILENT_A));
        assertThat(h.sink.history).containsExactly("p: scheduled on 0xa", "p: lease lapsed: " + SILENT_A,
                "p: moved from 0xa to 0xb: " + SILENT_A);
        assertThat(hashes(h.heartbeat(B))).containsExactly("p");
    }

    @Test
    void afterTakeoverProgramsThatRanBeforeWaitTheFenceButNewOnesArePlacedAtOnce() {
        var h = new ReconcilerHarness();
        h.takeOver();
        h.program("ran-before", 3);
        h.program("new");
        h.heartbeat(B);

        assertThat(h.tick()).containsExactly(new Place("new", B, 1, null, "scheduled on 0xb"));
        h.advanceNanos(FENCE);
        h.heartbeat(B);
        assertThat(h.tick()).isEmpty();
        h.advanceNanos(1);
        assertThat(h.tick()).containsExactly(new Place("ran-before", B, 4, null, "scheduled on 0xb"));
    }

    @Test
    void allocationAdoptedAtTakeoverCountsAsGrantedThenAndIsNotMovedBefore() {
        var h = new ReconcilerHarness();
        h.program("p", 2);
        h.takeOver(new Lease("p", A, 2, 0, false)); // its node is gone: only B heartbeats
        h.heartbeat(B);

        assertThat(h.tick()).isEmpty();
        h.advanceNanos(FENCE);
        h.heartbeat(B);
        assertThat(h.tick()).isEmpty();
        h.advanceNanos(1);
        assertThat(h.tick()).hasSize(2).last().isEqualTo(new Place("p", B, 3, A, "moved from 0xa to 0xb: " + SILENT_A));
    }

    @Test
    void crashLoopRevokesTheLeaseAvoidsTheNodeAndMovesTheProgramOnceTheLeaseLapsed() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.heartbeat(B);
        h.tick();

        assertThat(hashes(h.heartbeat(A, new ExecutionReport("p", 1, "RUNNING", 9, null)))).containsExactly("p");
        assertThat(hashes(h.heartbeat(A, new ExecutionReport("p", 0, "FAILED", 0, "old epoch")))).containsExactly("p");
        long lastGrant = h.lease("p").orElseThrow().lastGrantNanos();
        List<Lease> grants = h.heartbeat(A, new ExecutionReport("p", 1, "RUNNING", 10, "exit 1"));

        String why = "crash loop on 0xa (10 restarts, last error: exit 1)";
        Lease held = new Lease("p", A, 1, lastGrant, false);
        assertThat(h.plans.getLast()).containsExactly(new Revoke(held, why), new Avoid("p", A));
        assertThat(grants).isEmpty();
        assertThat(h.stored("p").avoid()).containsExactly(A);
        assertThat(h.sink.history).contains("p: revoking: " + why);

        h.advanceNanos(FENCE);
        h.heartbeat(A);
        h.heartbeat(B);
        assertThat(h.tick()).isEmpty();
        h.advanceNanos(1);
        List<Decision> plan = h.tick();
        assertThat(plan.get(0)).isInstanceOfSatisfying(Lapse.class, l -> assertThat(l.why()).isEqualTo(why));
        // A is emptier and live, but the program avoids it now.
        assertThat(plan.get(1)).isEqualTo(new Place("p", B, 2, A, "moved from 0xa to 0xb: " + why));
    }

    @Test
    void aCopyItsNodeFencedIsPlacedAgainWithANewEpochWithoutAvoidingTheNode() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.tick();
        // the scheduler could not answer for a while (a database stall): A's watchdog fenced epoch 1
        List<Lease> grants = h.heartbeat(A, new ExecutionReport("p", 1, "STOPPED", 0, "lease expired: killed by the watchdog"));

        assertThat(grants).isEmpty();
        assertThat(h.plans.getLast()).hasSize(1).first().isInstanceOfSatisfying(Revoke.class,
                r -> assertThat(r.why()).isEqualTo("stopped on 0xa (lease expired: killed by the watchdog): placed again"));
        assertThat(h.stored("p").avoid()).isEmpty();

        h.advanceNanos(FENCE + 1);
        h.heartbeat(A);
        List<Decision> plan = h.tick();
        assertThat(plan.get(0)).isInstanceOf(Lapse.class);
        // the only node, not avoided: the program comes back there under a new epoch
        assertThat(plan.get(1)).isInstanceOfSatisfying(Place.class, p -> {
            assertThat(p.nodeAddress()).isEqualTo(A);
            assertThat(p.epoch()).isEqualTo(2);
        });
    }

    @Test
    void programThatCrashLoopedOnEveryNodeIsUnschedulableWithTheReason() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.tick();
        h.heartbeat(A, new ExecutionReport("p", 1, "FAILED", 0, null));
        assertThat(h.plans.getLast()).hasSize(2).first().isInstanceOfSatisfying(Revoke.class,
                r -> assertThat(r.why()).isEqualTo("crash loop on 0xa (0 restarts)"));

        h.advanceNanos(FENCE + 1);
        h.heartbeat(A);
        assertThat(h.tick()).hasSize(2).last()
                .isEqualTo(new MarkUnschedulable("p", "every matching node was given up after repeated failures"));
        assertThat(h.lease("p")).isEmpty();
    }

    @Test
    void unschedulableReasonIsDecidedOnceAndClearedWhenAPlaceIsFound() {
        var h = new ReconcilerHarness(true);
        h.program("p");
        assertThat(h.tick()).containsExactly(new MarkUnschedulable("p", "no active node"));

        h.heartbeat(A, "process", false);
        String why = "no active node isolates programs: require-isolation is on and the matching nodes run process "
                + "(run them with the sandbox executor)";
        assertThat(h.tick()).containsExactly(new MarkUnschedulable("p", why));
        assertThat(h.tick()).isEmpty();
        assertThat(h.sink.unschedulable).containsEntry("p", why);

        h.heartbeat(B, "sandbox", true);
        assertThat(h.tick()).containsExactly(new Place("p", B, 1, null, "scheduled on 0xb"));
        assertThat(h.sink.unschedulable).isEmpty();
    }

    @Test
    void nodeThatRestartsWithoutIsolationUnderRequireIsolationLosesItsLeases() {
        var h = new ReconcilerHarness(true);
        h.program("p");
        h.heartbeat(A, "sandbox", true);
        h.tick();

        List<Lease> grants = h.heartbeat(A, "process", false);

        assertThat(grants).isEmpty();
        assertThat(h.plans.getLast()).singleElement().isInstanceOfSatisfying(Revoke.class, r -> assertThat(r.why())
                .isEqualTo("node 0xa runs process, which does not isolate programs (require-isolation is on)"));
        assertThat(h.heartbeat(A, null, false)).isEmpty();
        assertThat(h.plans.getLast()).isEmpty(); // already revoking: not revoked twice
    }

    @Test
    void programThatCrashLoopsOnANodeThatStoppedIsolatingIsRevokedOnceForTheCrashLoop() {
        var h = new ReconcilerHarness(true);
        h.program("p");
        h.program("q");
        h.heartbeat(A, "sandbox", true);
        assertThat(h.tick()).hasSize(2);
        var failed = new ExecutionReport("p", 1, "FAILED", 3, null);

        h.heartbeat(A, "process", false, failed, failed);

        assertThat(h.plans.getLast()).extracting(d -> d.getClass().getSimpleName() + " " + d.itemHash())
                .containsExactlyInAnyOrder("Revoke p", "Avoid p", "Revoke q");
        assertThat(h.plans.getLast()).filteredOn(Revoke.class::isInstance).map(d -> ((Revoke) d).why())
                .containsExactlyInAnyOrder("crash loop on 0xa (3 restarts)",
                        "node 0xa runs process, which does not isolate programs (require-isolation is on)");
    }

    @Test
    void withoutRequireIsolationANodeThatDoesNotIsolateKeepsAndGetsPrograms() {
        var h = new ReconcilerHarness(false);
        h.program("p");
        h.heartbeat(A, "process", false);
        assertThat(h.tick()).containsExactly(new Place("p", A, 1, null, "scheduled on 0xa"));
        assertThat(hashes(h.heartbeat(A, "process", false))).containsExactly("p");
        assertThat(h.plans.getLast()).isEmpty();
    }

    @Test
    void programNoLongerActiveIsDeallocatedAndNotPlacedAgainBeforeItsLeaseCouldHaveLapsed() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.tick();
        assertThat(h.steady(8, A)).isEmpty(); // past the warm-up: only the quarantine holds it back below
        long lastGrant = h.lease("p").orElseThrow().lastGrantNanos();

        h.deactivate("p"); // unpersisted or forgotten, written by another process
        assertThat(h.tick()).containsExactly(new Deallocate("p", "program is no longer active"));
        assertThat(h.heartbeat(A)).isEmpty();
        assertThat(h.sink.history).last().isEqualTo("p: program is no longer active");

        h.program("p", 1); // back again (paid again)
        h.advanceNanos(lastGrant + FENCE - h.now());
        h.heartbeat(A);
        assertThat(h.tick()).isEmpty();
        h.advanceNanos(1);
        assertThat(h.tick()).containsExactly(new Place("p", A, 2, null, "scheduled on 0xa"));
    }

    @Test
    void removedProgramIsQuarantinedUntilItsLastGrantCouldHaveLapsed() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.tick();
        assertThat(h.steady(8, A)).isEmpty(); // past the warm-up: only the quarantine holds it back below
        long lastGrant = h.lease("p").orElseThrow().lastGrantNanos();

        h.state.remove("p"); // the engine's removeProgram; the program then comes back active
        h.heartbeat(A);
        assertThat(h.tick()).isEmpty();
        h.advanceNanos(lastGrant + FENCE - h.now());
        h.heartbeat(A);
        assertThat(h.tick()).isEmpty();
        h.advanceNanos(1);
        assertThat(h.tick()).containsExactly(new Place("p", A, 2, null, "scheduled on 0xa"));
    }

    @Test
    void releasedProgramIsPlacedElsewhereAtOnceWithTheReleaseAsReason() {
        var h = new ReconcilerHarness();
        h.program("p");
        h.heartbeat(A);
        h.heartbeat(B);
        h.tick();
        assertThat(h.steady(8, A, B)).isEmpty(); // past the warm-up, when programs that ran before may move

        assertThat(h.release("p", A, 2, "wrong epoch")).isEmpty();
        assertThat(h.lease("p")).isPresent();
        List<Decision> plan = h.release("p", A, 1, "released by 0xa: draining");
        assertThat(plan).containsExactly(new Place("p", B, 2, A, "moved from 0xa to 0xb: released by 0xa: draining"));
    }
}
