package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.aleph4j.client.scheduler.SnapshotRef;

/**
 * The scheduler's side of snapshots as the volume tests need it: one lease holder at a time, a
 * report accepted only from it and only when it extends the head (a full one starts a new chain),
 * the same report again answered the same way, and the restore chain of each volume.
 */
final class FakeScheduler {
    private final Map<String, List<SnapshotRef>> chains = new HashMap<>();
    private String holder;
    private long epoch;
    /** Reports to fail with an unknown outcome (after being accepted), for the next calls. */
    final AtomicInteger loseAnswers = new AtomicInteger();

    synchronized void lease(String node) {
        holder = node;
        epoch++;
    }

    synchronized long epoch() {
        return epoch;
    }

    synchronized List<SnapshotRef> chain(String volumeId) {
        return List.copyOf(chains.getOrDefault(volumeId, List.of()));
    }

    SnapshotRegistry as(String node) {
        return (volumeId, seq, parentSeq, full, bytes, parts) -> {
            synchronized (FakeScheduler.this) {
                if (!node.equals(holder)) throw new SnapshotRefused(node + " does not hold the lease (" + holder + " does)");
                List<SnapshotRef> chain = chains.computeIfAbsent(volumeId, k -> new ArrayList<>());
                SnapshotRef last = chain.isEmpty() ? null : chain.get(chain.size() - 1);
                if (last != null && last.seq() == seq && last.parts().equals(parts)) return; // a repeated report
                long head = last == null ? 0 : last.seq();
                if (seq != head + 1 || (full ? parentSeq != null : !Objects.equals(parentSeq, head))) {
                    throw new SnapshotRefused("snapshot " + seq + " (parent " + parentSeq + ") does not extend head " + head);
                }
                if (full) chain.clear();
                chain.add(new SnapshotRef(seq, parentSeq, epoch, full, bytes, parts, System.currentTimeMillis() / 1000.0, node));
                if (loseAnswers.getAndUpdate(n -> Math.max(0, n - 1)) > 0) throw new IOException("the answer was lost");
            }
        };
    }
}
