package org.aleph4j.scheduler.engine;

import com.fasterxml.jackson.core.type.TypeReference;
import org.aleph4j.message.Json;
import org.aleph4j.scheduler.placement.NodeCandidate;
import org.aleph4j.scheduler.placement.NodeRequirements;
import org.aleph4j.scheduler.reconcile.Snapshot.NodeState;
import org.aleph4j.scheduler.reconcile.Snapshot.ProgramState;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.PersistentVolume;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.Records.ProgramVolumes;
import org.aleph4j.scheduler.store.SchedulerStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads what the reconciler needs from the database and parses its JSON columns (runtimes,
 * requirements, avoid lists) into the reconciler's records; a column that does not parse counts as empty.
 */
final class StoreSnapshots {
    private final SchedulerStore store;
    private static final long REREAD_NANOS = 2_000_000_000L;
    private volatile Map<String, String> migrations = Map.of();
    private final Map<String, Parsed> candidates = new HashMap<>();
    private List<ProgramState> cached;
    private long cachedAt;
    private long cachedNanos;

    StoreSnapshots(SchedulerStore store) {
        this.store = store;
    }

    /** The registered nodes ({@code stored}) this leader heard from, with their last heartbeat (monotonic nanos). */
    List<NodeState> nodes(Map<String, NodeRow> rows, Map<String, Long> lastHeartbeat, Set<String> draining) {
        List<NodeState> out = new ArrayList<>();
        for (var e : lastHeartbeat.entrySet()) {
            NodeRow r = rows.get(e.getKey());
            if (r == null) continue;
            out.add(new NodeState(candidate(r), e.getValue(), draining.contains(e.getKey())));
        }
        return out;
    }

    /** A node's candidate, parsed once per distinct row (last_seen apart): 10,000 nodes, 10 cycles a second. */
    private NodeCandidate candidate(NodeRow r) {
        Parsed p = candidates.get(r.address());
        if (p != null && p.url().equals(String.valueOf(r.url())) && p.runtimes().equals(String.valueOf(r.runtimes()))
                && p.candidate().vcpus() == r.vcpus() && p.candidate().memoryMib() == r.memoryMib()
                && java.util.Objects.equals(p.candidate().executor(), r.executor()) && p.candidate().isolated() == r.isolated()
                && p.candidate().volumes() == r.volumes()) {
            return p.candidate();
        }
        NodeCandidate c = new NodeCandidate(r.address(), r.nodeHash(), r.url(), r.vcpus(), r.memoryMib(),
                new HashSet<>(jsonList(r.runtimes())), r.executor(), r.isolated(), r.volumes());
        candidates.put(r.address(), new Parsed(String.valueOf(r.url()), String.valueOf(r.runtimes()), c));
        return c;
    }

    private record Parsed(String url, String runtimes, NodeCandidate candidate) {}

    /**
     * Active programs, oldest first (placement priority). A migration its owner asked for shows as the
     * node it leaves added to the avoided ones, and its target (when one was named) as a node requirement.
     */
    List<ProgramState> activePrograms() {
        // read again only when this store wrote programs or allocations, or every few seconds (in case
        // another process did): 50,000 rows ten times a second would be the scheduler's main cost
        long writes = store.writes();
        long now = System.nanoTime();
        if (cached != null && writes == cachedAt && now - cachedNanos < REREAD_NANOS) return cached;
        cached = read();
        cachedAt = writes;
        cachedNanos = now;
        return cached;
    }

    private List<ProgramState> read() {
        List<ProgramState> out = new ArrayList<>();
        Map<String, String> asked = new HashMap<>();
        for (ProgramRow p : store.activePrograms()) {
            if (p.migrateTarget() != null && p.migrateFrom() != null) asked.put(p.itemHash(), p.migrateFrom());
            Set<String> avoid = new HashSet<>(jsonList(p.avoid()));
            NodeRequirements requirements = requirementsOf(p);
            if (p.migrateTarget() != null) {
                if (p.migrateFrom() != null) avoid.add(p.migrateFrom());
                if (!p.migrateTarget().isEmpty()) {
                    requirements = new NodeRequirements(p.migrateTarget(), requirements.owner(), requirements.addressRegex());
                }
            }
            ProgramVolumes volumes = volumesOf(p);
            out.add(new ProgramState(p.itemHash(), p.vcpus(), p.memoryMib(), p.runtime(), requirements, avoid, p.epoch(),
                    volumes.any(), volumes.persistent().stream().map(PersistentVolume::volumeId).collect(Collectors.toSet())));
        }
        migrations = Map.copyOf(asked);
        return List.copyOf(out);
    }

    /** Migrations asked, as read by the last {@link #activePrograms}: program → the node it leaves. */
    Map<String, String> migrations() {
        return migrations;
    }

    /** The volumes column of a program; one that does not parse counts as none. */
    static ProgramVolumes volumesOf(ProgramRow p) {
        if (p.volumes() == null || p.volumes().isBlank()) return ProgramVolumes.NONE;
        try {
            return Json.MAPPER.readValue(p.volumes(), ProgramVolumes.class);
        } catch (Exception e) {
            return ProgramVolumes.NONE;
        }
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
