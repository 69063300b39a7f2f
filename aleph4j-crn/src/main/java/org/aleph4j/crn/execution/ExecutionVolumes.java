package org.aleph4j.crn.execution;

import java.util.List;
import java.util.Map;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.content.Volume;

/**
 * What gives executions their volumes ({@code content.volumes}): immutable ones from STOREs,
 * ephemeral ones empty at each start, persistent ones kept by the node and, for persistent programs,
 * restored from the network before start and snapshotted while they run. The execution side calls
 * it; {@code org.aleph4j.crn.volumes.NodeVolumes} is the implementation.
 */
public interface ExecutionVolumes {
    /**
     * One start of an execution. {@code restart}: the same persistent execution (same epoch) starting
     * again after its program crashed, so its volumes are kept as they are rather than restored.
     */
    record Start(String executionId, String itemHash, String owner, boolean persistent, long epoch, boolean restart,
                 List<Volume> volumes) {
        public Start {
            volumes = volumes == null ? List.of() : List.copyOf(volumes);
        }
    }

    /** The mounts of one start, ready; throws a {@link CrnException} that says why when a volume cannot be provided. */
    List<Executor.Mount> attach(Start start);

    /** The execution ended: what its start attached for it alone (ephemeral volumes) goes. */
    void detach(String executionId);

    /**
     * After a persistent execution stopped to be handed over (a drain): the last snapshot of each of
     * its persistent volumes, taken and reported while the lease still holds. True when every volume
     * ends with an accepted snapshot of its final state (or there was nothing to snapshot).
     */
    boolean finalSnapshot(String itemHash, long epoch);

    /** This node no longer runs {@code itemHash} under {@code epoch}: no more snapshots of it. */
    void forget(String itemHash, long epoch);

    /** For /about: what this node can mount, and why not when it cannot. */
    Map<String, Object> describe();

    /** Whether this node can mount volumes (reported to the scheduler). */
    boolean available();

    /** A node without volumes: a program that has any gets a clear refusal, never a start without them. */
    ExecutionVolumes NONE = new ExecutionVolumes() {
        @Override
        public List<Executor.Mount> attach(Start start) {
            if (start.volumes().isEmpty()) return List.of();
            throw new CrnException(503, "this node cannot mount volumes, and the program has " + start.volumes().size(),
                    Map.of("item_hash", start.itemHash()));
        }

        @Override
        public void detach(String executionId) {}

        @Override
        public boolean finalSnapshot(String itemHash, long epoch) {
            return true;
        }

        @Override
        public void forget(String itemHash, long epoch) {}

        @Override
        public Map<String, Object> describe() {
            return Map.of("available", false);
        }

        @Override
        public boolean available() {
            return false;
        }
    };
}
