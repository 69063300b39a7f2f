package org.aleph4j.scheduler.engine;

import com.fasterxml.jackson.core.type.TypeReference;
import org.aleph4j.message.Json;
import org.aleph4j.scheduler.placement.NodeCandidate;
import org.aleph4j.scheduler.placement.NodeRequirements;
import org.aleph4j.scheduler.reconcile.Snapshot.NodeState;
import org.aleph4j.scheduler.reconcile.Snapshot.ProgramState;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.SchedulerStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads what the reconciler needs from the database and parses its JSON columns (runtimes,
 * requirements, avoid lists) into the reconciler's records; a column that does not parse counts as empty.
 */
final class StoreSnapshots {
    private final SchedulerStore store;

    StoreSnapshots(SchedulerStore store) {
        this.store = store;
    }

    /** The registered nodes ({@code stored}) this leader heard from, with their last heartbeat (monotonic nanos). */
    List<NodeState> nodes(List<NodeRow> stored, Map<String, Long> lastHeartbeat, Set<String> draining) {
        Map<String, NodeRow> rows = new HashMap<>();
        for (NodeRow r : stored) rows.put(r.address(), r);
        List<NodeState> out = new ArrayList<>();
        for (var e : lastHeartbeat.entrySet()) {
            NodeRow r = rows.get(e.getKey());
            if (r == null) continue;
            out.add(new NodeState(new NodeCandidate(r.address(), r.nodeHash(), r.url(), r.vcpus(), r.memoryMib(),
                    new HashSet<>(jsonList(r.runtimes())), r.executor(), r.isolated()), e.getValue(),
                    draining.contains(e.getKey())));
        }
        return out;
    }

    /** Active programs, oldest first (placement priority). */
    List<ProgramState> activePrograms() {
        List<ProgramState> out = new ArrayList<>();
        for (ProgramRow p : store.activePrograms()) {
            out.add(new ProgramState(p.itemHash(), p.vcpus(), p.memoryMib(), p.runtime(), requirementsOf(p),
                    new HashSet<>(jsonList(p.avoid())), p.epoch()));
        }
        return out;
    }

    private static NodeRequirements requirementsOf(ProgramRow p) {
        if (p.requirements() == null) return NodeRequirements.NONE;
        try {
            return NodeRequirements.from(Json.MAPPER.readTree(p.requirements()));
        } catch (Exception e) {
            return NodeRequirements.NONE;
        }
    }

    static List<String> jsonList(String json) {
        if (json == null || json.isBlank()) return List.of();
        try {
            return Json.MAPPER.readValue(json, new TypeReference<List<String>>() {});
        } catch (Exception e) {
            return List.of();
        }
    }
}
