package org.aleph4j.scheduler.engine;

import org.aleph4j.scheduler.reconcile.Decision;
import org.aleph4j.scheduler.reconcile.PlanSink;
import org.aleph4j.scheduler.reconcile.SchedulingState;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What heartbeats have to write, kept off their request path: the node rows they report, the grant
 * times they renewed (display only) and the history and avoid-list lines of their decisions. The
 * placement cycle writes them, before it reads its snapshot, so placement sees every heartbeat it
 * heard; a heartbeat only queues, and never waits on the database.
 *
 * <p>Bounded: node rows and grant times coalesce per node (the newest wins) and at most
 * {@code maxNodes} nodes wait at once (a further node's row is dropped: its next heartbeat queues it
 * again); at most {@code maxDecisions} decision lines wait, the oldest dropped first with a warning.
 *
 * <p>Cheap at 10,000 heartbeats a second: a node row that says nothing new (only its {@code last_seen})
 * is written at most once per {@code refreshMs}, and so are grant times of the same leases; and a flush
 * writes everything in two transactions (one commit each), not one per row.
 */
final class DeferredWrites {
    private static final Logger log = LoggerFactory.getLogger(DeferredWrites.class);

    private record Grants(List<String> itemHashes, long timeMs) {}

    private final int maxNodes;
    private final int maxDecisions;
    private final long refreshMs;
    /** What was last queued per node (last_seen apart), to skip rows that say nothing new. */
    private final Map<String, NodeRow> queuedRows = new java.util.HashMap<>();
    private final Map<String, Grants> queuedGrants = new java.util.HashMap<>();
    private final Map<String, NodeRow> nodes = new LinkedHashMap<>();
    private final Map<String, Grants> grants = new LinkedHashMap<>();
    private final Deque<Decision> decisions = new ArrayDeque<>();
    private long dropped;

    DeferredWrites(int maxNodes, int maxDecisions, long refreshMs) {
        this.maxNodes = maxNodes;
        this.maxDecisions = maxDecisions;
        this.refreshMs = refreshMs;
    }

    /**
     * Queues a node row (replacing one of the same node that is still waiting), unless it differs from
     * the last one queued only by a {@code last_seen} less than {@code refreshMs} newer.
     */
    synchronized void node(NodeRow row) {
        NodeRow last = queuedRows.get(row.address());
        if (last != null && row.lastSeenMs() - last.lastSeenMs() < refreshMs && sameButSeen(last, row)) return;
        if (nodes.size() >= maxNodes && !nodes.containsKey(row.address())) {
            drop("node row of " + row.address());
            return;
        }
        nodes.put(row.address(), row);
        queuedRows.put(row.address(), row);
    }

    private static boolean sameButSeen(NodeRow a, NodeRow b) {
        return a.equals(new NodeRow(b.address(), b.nodeHash(), b.url(), b.vcpus(), b.memoryMib(), b.diskMib(), b.runtimes(),
                b.version(), b.executions(), a.lastSeenMs(), b.executor(), b.isolated(), b.volumes()));
    }

    /**
     * Queues the grant time of a node's renewed leases (replacing an older one of the same node), unless
     * the same leases' grant time was queued less than {@code refreshMs} before.
     */
    synchronized void grants(String nodeAddress, List<String> itemHashes, long timeMs) {
        if (itemHashes.isEmpty()) return;
        Grants last = queuedGrants.get(nodeAddress);
        if (last != null && timeMs - last.timeMs() < refreshMs && last.itemHashes().equals(itemHashes)) return;
        if (grants.size() >= maxNodes && !grants.containsKey(nodeAddress)) {
            drop("grant times of " + nodeAddress);
            return;
        }
        Grants g = new Grants(List.copyOf(itemHashes), timeMs);
        grants.put(nodeAddress, g);
        queuedGrants.put(nodeAddress, g);
    }

    /** Queues a decision already applied in memory, to be written through the sink. */
    synchronized void decision(Decision d) {
        if (decisions.size() >= maxDecisions) drop("history of " + decisions.removeFirst().itemHash());
        decisions.addLast(d);
    }

    private void drop(String what) {
        if (dropped++ % 100 == 0) {
            log.warn("the scheduler database is behind: dropped the {} ({} dropped so far)", what, dropped);
        }
    }

    /** Number of writes waiting (for tests and logs). */
    synchronized int pending() {
        return nodes.size() + grants.size() + decisions.size();
    }

    /**
     * Writes everything queued so far, on the caller's thread (the placement cycle). Whatever could
     * not be written is queued again, unless something newer for it arrived meanwhile; the exception
     * is rethrown.
     */
    void flush(SchedulerStore store, PlanSink sink) {
        List<NodeRow> nodeRows;
        Map<String, Grants> grantTimes;
        List<Decision> lines;
        synchronized (this) {
            if (nodes.isEmpty() && grants.isEmpty() && decisions.isEmpty()) return;
            nodeRows = new ArrayList<>(nodes.values());
            grantTimes = new LinkedHashMap<>(grants);
            lines = new ArrayList<>(decisions);
            nodes.clear();
            grants.clear();
            decisions.clear();
        }
        int n = 0;
        int g = 0;
        int d = 0;
        List<Map.Entry<String, Grants>> grantList = new ArrayList<>(grantTimes.entrySet());
        try {
            // one transaction for the heartbeat rows, one for the decision lines: a failed one writes nothing
            if (!nodeRows.isEmpty() || !grantList.isEmpty()) {
                store.heartbeatBatch(() -> {
                    for (NodeRow row : nodeRows) store.upsertNode(row);
                    for (var e : grantList) store.touchGrants(e.getKey(), e.getValue().itemHashes(), e.getValue().timeMs());
                });
            }
            n = nodeRows.size();
            g = grantList.size();
            if (!lines.isEmpty()) store.batch(() -> lines.forEach(line -> SchedulingState.write(line, sink)));
            d = lines.size();
        } catch (RuntimeException e) {
            synchronized (this) {
                for (int i = n; i < nodeRows.size(); i++) nodes.putIfAbsent(nodeRows.get(i).address(), nodeRows.get(i));
                for (int i = g; i < grantList.size(); i++) grants.putIfAbsent(grantList.get(i).getKey(), grantList.get(i).getValue());
                for (int i = lines.size() - 1; i >= d; i--) {
                    if (decisions.size() < maxDecisions) decisions.addFirst(lines.get(i));
                }
            }
            throw e;
        }
    }
}
