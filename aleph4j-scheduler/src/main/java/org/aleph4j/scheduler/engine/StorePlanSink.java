package org.aleph4j.scheduler.engine;

import org.aleph4j.message.Json;
import org.aleph4j.scheduler.reconcile.Decision;
import org.aleph4j.scheduler.reconcile.PlanSink;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.InstantSource;
import java.util.LinkedHashSet;
import java.util.Set;

/** Makes the reconciler's decisions durable in the scheduler database, with a history line and a log line each. */
final class StorePlanSink implements PlanSink {
    private static final Logger log = LoggerFactory.getLogger(AllocationEngine.class);

    private final SchedulerStore store;
    private final InstantSource wallClock;

    StorePlanSink(SchedulerStore store, InstantSource wallClock) {
        this.store = store;
        this.wallClock = wallClock;
    }

    @Override
    public void lapse(Decision.Lapse l) {
        // under the lapsed lease's epoch: a newer allocation is never dropped by it
        store.deallocate(l.itemHash(), l.lease().epoch(), wallClock.millis(), l.historyReason());
        log.warn("program {}: lease of {} lapsed (epoch {}): {}", l.itemHash(), l.lease().nodeAddress(),
                l.lease().epoch(), l.why());
    }

    @Override
    public void deallocate(Decision.Deallocate d) {
        store.deallocate(d.itemHash(), wallClock.millis(), d.reason());
    }

    @Override
    public long place(Decision.Place p) {
        // The store bumps the epoch in the same transaction as the allocation: its answer is the one granted.
        long epoch = store.allocate(p.itemHash(), p.nodeAddress(), wallClock.millis(), p.fromNode(), p.reason());
        if (epoch > 0) log.info("program {} allocated to {} with epoch {} ({})", p.itemHash(), p.nodeAddress(), epoch, p.reason());
        else log.info("program {} not allocated: it is no longer active", p.itemHash());
        return epoch;
    }

    @Override
    public void markUnschedulable(Decision.MarkUnschedulable u) {
        store.setUnschedulable(u.itemHash(), u.reason());
        log.info("program {} is unschedulable: {}", u.itemHash(), u.reason());
    }

    @Override
    public void revoke(Decision.Revoke r) {
        store.addHistory(r.itemHash(), wallClock.millis(), r.lease().nodeAddress(), null, r.lease().epoch(),
                r.historyReason());
        log.warn("program {}: {}; revoking its lease", r.itemHash(), r.why());
    }

    @Override
    public void avoid(Decision.Avoid a) {
        store.program(a.itemHash()).ifPresent(p -> {
            Set<String> avoid = new LinkedHashSet<>(StoreSnapshots.jsonList(p.avoid()));
            avoid.add(a.nodeAddress());
            store.setAvoid(p.itemHash(), Json.write(avoid));
        });
    }
}
