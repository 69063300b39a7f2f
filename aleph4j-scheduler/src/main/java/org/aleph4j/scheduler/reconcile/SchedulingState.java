package org.aleph4j.scheduler.reconcile;

import org.aleph4j.scheduler.lease.Lease;
import org.aleph4j.scheduler.lease.LeaseBook;
import org.aleph4j.scheduler.lease.LeasePolicy;
import org.aleph4j.scheduler.reconcile.Snapshot.Loss;
import org.aleph4j.scheduler.reconcile.Snapshot.NodeState;
import org.aleph4j.scheduler.reconcile.Snapshot.ProgramState;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the leader remembers between reconciliations and cannot store (monotonic lease times): the
 * lease book, why programs lost their last node, the unschedulable reasons already written, and when
 * it started leading. Decisions are applied here and made durable through a {@link PlanSink}. Not
 * thread-safe: the engine guards it with its lock. No clock: times are passed in.
 */
public final class SchedulingState {
    private final LeaseBook book;
    private final Map<String, Loss> losses = new HashMap<>();
    private final Map<String, String> unschedulable = new HashMap<>();
    private long leaderSinceNanos;

    public SchedulingState(LeasePolicy policy) {
        this.book = new LeaseBook(policy);
    }

    /** Starts leading at {@code nowNanos}: the allocations given are treated as granted now. */
    public void lead(List<Lease> stored, long nowNanos) {
        book.clear();
        for (Lease l : stored) book.adopt(l.itemHash(), l.nodeAddress(), l.epoch(), nowNanos);
        leaderSinceNanos = nowNanos;
    }

    /** Forgets every lease (leadership lost). */
    public void clearLeases() {
        book.clear();
    }

    public List<Lease> leases() {
        return List.copyOf(book.all());
    }

    public Optional<Lease> lease(String itemHash) {
        return book.get(itemHash);
    }

    /** Renews the node's leases that are not being revoked; returns them. */
    public List<Lease> renew(String nodeAddress, long nowNanos) {
        return book.renew(nodeAddress, nowNanos);
    }

    /** The holder released the program: the lease ends now, and {@code why} is the reason of its next move. */
    public Optional<Lease> release(String itemHash, String nodeAddress, long epoch, String why) {
        Optional<Lease> released = book.release(itemHash, nodeAddress, epoch);
        released.ifPresent(l -> losses.put(itemHash, new Loss(l.nodeAddress(), why)));
        return released;
    }

    /** The program was removed: its lease ends now, and it stays unassignable until that lease could have lapsed. */
    public void remove(String itemHash) {
        book.remove(itemHash);
        unschedulable.remove(itemHash);
    }

    /** A snapshot of this state with the given nodes and active programs. */
    public Snapshot snapshot(long nowNanos, List<NodeState> nodes, List<ProgramState> programs) {
        return new Snapshot(nowNanos, leaderSinceNanos, nodes, programs, leases(), book.quarantine(nowNanos), losses,
                unschedulable);
    }

    /** Carries out the decisions in order, each first in memory, then through {@code sink}. */
    public void apply(List<Decision> decisions, long nowNanos, PlanSink sink) {
        for (Decision d : decisions) {
            switch (d) {
                case Decision.Lapse l -> {
                    book.expire(l.itemHash(), nowNanos);
                    sink.lapse(l);
                    losses.put(l.itemHash(), new Loss(l.lease().nodeAddress(), l.why()));
                }
                case Decision.Deallocate x -> {
                    book.remove(x.itemHash());
                    sink.deallocate(x);
                }
                case Decision.Place p -> {
                    losses.remove(p.itemHash());
                    long epoch = sink.place(p);
                    book.assign(p.itemHash(), p.nodeAddress(), epoch, nowNanos);
                    unschedulable.remove(p.itemHash());
                }
                case Decision.MarkUnschedulable u -> {
                    unschedulable.put(u.itemHash(), u.reason());
                    sink.markUnschedulable(u);
                }
                case Decision.Revoke r -> {
                    book.revoke(r.itemHash());
                    sink.revoke(r);
                    losses.put(r.itemHash(), new Loss(r.lease().nodeAddress(), r.why()));
                }
                case Decision.Avoid a -> sink.avoid(a);
            }
        }
    }
}
