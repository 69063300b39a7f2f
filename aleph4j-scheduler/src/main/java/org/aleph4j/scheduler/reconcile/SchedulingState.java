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

    /** The leases one node (lowercase address) holds. */
    public List<Lease> leasesOf(String nodeAddress) {
        return book.of(nodeAddress);
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

    /**
     * True when a periodic reconciliation would decide nothing: every active program holds a lease, every
     * lease is of an active program, and none has lapsed. Cheap (no copies), so that the placement cycle
     * does not hold the lease lock for a full pass over 50,000 leases ten times a second when all is well.
     */
    public boolean quiet(long nowNanos, List<ProgramState> programs) {
        if (book.size() != programs.size()) return false;
        for (ProgramState p : programs) if (book.get(p.itemHash()).isEmpty()) return false;
        return !book.anyLapsed(nowNanos);
    }

    /** A snapshot of this state with the given nodes and active programs. */
    public Snapshot snapshot(long nowNanos, List<NodeState> nodes, List<ProgramState> programs) {
        return new Snapshot(nowNanos, leaderSinceNanos, nodes, programs, leases(), book.quarantine(nowNanos), losses,
                unschedulable);
    }

    /**
     * Carries out the decisions in order: first every one in memory ({@link #applyInMemory}), then each
     * through {@code sink}, a placement's lease being installed once the sink answered its epoch. The
     * scheduler itself splits these steps so that no database write happens under its lease lock.
     */
    public void apply(List<Decision> decisions, long nowNanos, PlanSink sink) {
        applyInMemory(decisions, nowNanos);
        for (Decision d : decisions) {
            long epoch = write(d, sink);
            if (d instanceof Decision.Place p && epoch > 0) install(p, epoch, nowNanos);
        }
    }

    /**
     * The in-memory part of the decisions, in order: lapsed leases end, revoked ones stop being
     * renewed, removed programs are quarantined, unschedulable reasons are remembered. A placement
     * changes nothing here: its lease exists only once {@link #install}ed, after its epoch is durable.
     */
    public void applyInMemory(List<Decision> decisions, long nowNanos) {
        for (Decision d : decisions) {
            switch (d) {
                case Decision.Lapse l -> {
                    book.expire(l.itemHash(), nowNanos);
                    losses.put(l.itemHash(), new Loss(l.lease().nodeAddress(), l.why()));
                }
                case Decision.Deallocate x -> book.remove(x.itemHash());
                case Decision.Place p -> {
                    // installed later, with the epoch the database answered
                }
                case Decision.MarkUnschedulable u -> unschedulable.put(u.itemHash(), u.reason());
                case Decision.Revoke r -> {
                    book.revoke(r.itemHash());
                    losses.put(r.itemHash(), new Loss(r.lease().nodeAddress(), r.why()));
                }
                case Decision.Avoid a -> {
                    // only durable: the avoid list lives in the database
                }
            }
        }
    }

    /**
     * Makes one decision durable through {@code sink}; returns the epoch the sink answered for a
     * placement (0: the program is no longer active, nothing was allocated), else 0.
     */
    public static long write(Decision d, PlanSink sink) {
        switch (d) {
            case Decision.Lapse l -> sink.lapse(l);
            case Decision.Deallocate x -> sink.deallocate(x);
            case Decision.Place p -> {
                return sink.place(p);
            }
            case Decision.MarkUnschedulable u -> sink.markUnschedulable(u);
            case Decision.Revoke r -> sink.revoke(r);
            case Decision.Avoid a -> sink.avoid(a);
        }
        return 0;
    }

    /**
     * Grants the placed program's lease under {@code epoch} (already durable) at {@code nowNanos},
     * unless something changed since the placement was decided and it is no longer assignable (held,
     * or removed while a node may still hold it); true when granted.
     */
    public boolean install(Decision.Place p, long epoch, long nowNanos) {
        if (!book.assignable(p.itemHash(), nowNanos) || epoch <= book.highestEpoch(p.itemHash())) return false;
        book.assign(p.itemHash(), p.nodeAddress(), epoch, nowNanos);
        losses.remove(p.itemHash());
        unschedulable.remove(p.itemHash());
        return true;
    }
}
