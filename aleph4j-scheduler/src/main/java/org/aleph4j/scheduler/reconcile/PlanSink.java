package org.aleph4j.scheduler.reconcile;

/**
 * Where decisions become durable: the scheduler database in production, a recorder in tests. Called
 * once per decision, in their order, after the decisions were applied in memory; the scheduler calls it
 * outside its lease lock (a database that stalls must not hold up renewals).
 */
public interface PlanSink {
    /** Ends the lapsed lease's allocation, with {@link Decision.Lapse#historyReason} in its history. */
    void lapse(Decision.Lapse lapse);

    /** Ends the program's allocation, if any, with the decision's reason in its history. */
    void deallocate(Decision.Deallocate deallocate);

    /**
     * Allocates the program under the next epoch and returns that epoch: the lease is granted under it
     * once this returned. 0 when the program is no longer active (nothing allocated, nothing granted).
     */
    long place(Decision.Place place);

    void markUnschedulable(Decision.MarkUnschedulable unschedulable);

    /** Records that the lease is being revoked ({@link Decision.Revoke#historyReason}). */
    void revoke(Decision.Revoke revoke);

    /** Adds the node to the program's avoid list, if the program is known. */
    void avoid(Decision.Avoid avoid);
}
