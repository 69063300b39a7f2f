package org.aleph4j.scheduler.console;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.engine.NodeRows;
import org.aleph4j.scheduler.engine.VolumeService;
import org.aleph4j.scheduler.store.Records.AllocationRow;
import org.aleph4j.scheduler.store.Records.HistoryRow;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.Records.ProgramVolumes;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.aleph4j.message.Json;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The console's JSON views, built from the scheduler's tables with what the CCN and the CRNs told
 * (names, prices, on-demand executions) when they answered in time. Field names are the API's
 * (snake case); every value from the network is passed on raw, for the page to show as text.
 */
final class ConsoleViews {
    /** The states a program can be listed under ({@code state} filter). */
    static final Set<String> STATES = Set.of("scheduled", "migrating", "unscheduled", "unschedulable", "removed", "on-demand");
    /** How long a page waits for the CCN and the CRNs before it answers with what it has. */
    static final long WAIT_MS = 1_500;
    private static final int MAX_PROGRAMS = 5_000;

    /** Filters of the programs list (nulls: none). */
    record Filter(String owner, String state, String query) {}

    private final SchedulerStore store;
    private final AllocationEngine engine;
    private final VolumeService volumes;
    private final CcnView ccn;
    private final CrnSightings crns;
    private final InstantSource clock;

    ConsoleViews(SchedulerStore store, AllocationEngine engine, VolumeService volumes, CcnView ccn, CrnSightings crns,
                 InstantSource clock) {
        this.store = store;
        this.engine = engine;
        this.volumes = volumes;
        this.ccn = ccn;
        this.crns = crns;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- nodes

    /**
     * draining (it released a program with "node draining" at or after its last heartbeat minus two
     * leases: a CRN stops heartbeating, then releases), active (it heartbeated within the lease) or lost.
     */
    Map<String, String> nodeStates(List<NodeRow> nodes) {
        long ttl = engine.policy().leaseTtl().toMillis();
        Map<String, Long> drainedAt = new HashMap<>();
        // only releases after the oldest last heartbeat (minus two leases) can make a node draining
        long since = Math.max(clock.millis() - CrnSightings.REMEMBER_MS,
                nodes.stream().mapToLong(NodeRow::lastSeenMs).min().orElse(clock.millis()) - 2 * ttl);
        for (HistoryRow h : nodes.isEmpty() ? List.<HistoryRow>of() : store.historySince(since, 2_000)) {
            if (h.fromNode() != null && ReasonCategory.DRAIN.equals(ReasonCategory.of(h.reason()))
                    && h.reason().startsWith("released by ")) {
                drainedAt.merge(h.fromNode(), h.timeMs(), Math::max);
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (NodeRow n : nodes) {
            Long drained = drainedAt.get(n.address());
            boolean active = engine.nodeActive(n.address(), n.lastSeenMs());
            out.put(n.address(), drained != null && drained >= n.lastSeenMs() - 2 * ttl ? "draining" : active ? "active" : "lost");
        }
        return out;
    }

    List<NodeRow> activeNodes() {
        List<NodeRow> out = new ArrayList<>();
        for (NodeRow n : store.nodes()) if (engine.nodeActive(n.address(), n.lastSeenMs())) out.add(n);
        return out;
    }

    Map<String, Object> network() {
        List<NodeRow> nodes = store.nodes();
        Map<String, String> states = nodeStates(nodes);
        crns.refresh(nodes.stream().filter(n -> "active".equals(states.get(n.address()))).toList(), WAIT_MS);
        Map<String, ProgramRow> programs = new HashMap<>();
        for (ProgramRow p : store.activePrograms()) programs.put(p.itemHash(), p);
        Map<String, List<AllocationRow>> byNode = new HashMap<>();
        for (AllocationRow a : store.allocations()) byNode.computeIfAbsent(a.nodeAddress(), k -> new ArrayList<>()).add(a);
        Set<String> onDemand = new LinkedHashSet<>();
        for (NodeRow n : nodes) for (String h : crns.running(n.address())) if (!programs.containsKey(h)) onDemand.add(h);
        Map<String, CcnView.Facts> facts = ccn.facts(onDemand, WAIT_MS);
        long now = clock.millis();
        List<Map<String, Object>> out = new ArrayList<>();
        for (NodeRow n : nodes) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node_hash", n.nodeHash());
            m.put("address", n.address());
            m.put("url", n.url());
            Map<String, Object> executor = new LinkedHashMap<>();
            executor.put("name", n.executor());
            executor.put("isolated", n.isolated());
            m.put("executor", executor);
            m.put("version", n.version());
            m.put("volumes", n.volumes());
            m.put("state", states.get(n.address()));
            m.put("last_seen", n.lastSeenMs() / 1000.0);
            m.put("heartbeat_age_s", Math.max(0, now - n.lastSeenMs()) / 1000.0);
            m.put("capacity", resources(n.vcpus(), n.memoryMib(), n.diskMib()));
            int vcpus = 0;
            long memory = 0;
            long disk = 0;
            List<Map<String, Object>> runs = new ArrayList<>();
            for (AllocationRow a : byNode.getOrDefault(n.address(), List.of())) {
                ProgramRow p = programs.get(a.itemHash());
                if (p != null) {
                    vcpus += p.vcpus();
                    memory += p.memoryMib();
                    disk += persistentDiskMib(p);
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("item_hash", a.itemHash());
                r.put("kind", "persistent");
                r.put("epoch", a.epoch());
                r.put("since", a.sinceMs() / 1000.0);
                runs.add(r);
            }
            for (String h : crns.running(n.address())) {
                if (programs.containsKey(h)) continue;
                CcnView.Facts f = facts.get(h);
                JsonNode res = f == null || f.content() == null ? null : f.content().path("resources");
                if (res != null) {
                    vcpus += res.path("vcpus").asInt(0);
                    memory += res.path("memory").asLong(0);
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("item_hash", h);
                r.put("kind", "on-demand");
                r.put("name", f == null ? null : f.name());
                runs.add(r);
            }
            m.put("used", resources(vcpus, memory, disk));
            m.put("programs", runs);
            out.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("nodes", out);
        body.put("scheduler", schedulerInfo());
        body.put("ccn", ccn.status());
        body.put("time", now / 1000.0);
        return body;
    }

    Map<String, Object> schedulerInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("leading", engine.leading());
        m.put("lease_ttl_ms", engine.policy().leaseTtl().toMillis());
        return m;
    }

    private static Map<String, Object> resources(long vcpus, long memoryMib, long diskMib) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vcpus", vcpus);
        m.put("memory_mib", memoryMib);
        m.put("disk_mib", diskMib);
        return m;
    }

    private static long persistentDiskMib(ProgramRow p) {
        if (p.volumes() == null) return 0;
        try {
            long sum = 0;
            for (var v : Json.MAPPER.readValue(p.volumes(), ProgramVolumes.class).persistent()) {
                if (v.sizeMib() != null) sum += v.sizeMib();
            }
            return sum;
        } catch (Exception e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- programs

    Map<String, Object> programs(Filter filter, int page, int pageSize) {
        List<NodeRow> nodes = store.nodes();
        Map<String, NodeRow> nodesByAddress = new HashMap<>();
        for (NodeRow n : nodes) nodesByAddress.put(n.address(), n);
        crns.refresh(activeNodes(), WAIT_MS);
        List<ProgramRow> rows = store.programs(null, null, 0, MAX_PROGRAMS); // owners compare without case, below
        Map<String, AllocationRow> allocations = new HashMap<>();
        for (AllocationRow a : store.allocations()) allocations.put(a.itemHash(), a);
        Set<String> persistent = new LinkedHashSet<>();
        for (ProgramRow p : rows) persistent.add(p.itemHash());
        Map<String, CrnSightings.Sighting> onDemand = latestOnDemand(persistent);
        List<String> all = new ArrayList<>(persistent);
        all.addAll(onDemand.keySet());
        Map<String, CcnView.Facts> facts = ccn.facts(all, WAIT_MS);
        List<Map<String, Object>> items = new ArrayList<>();
        for (ProgramRow p : rows) {
            items.add(item(p, allocations.get(p.itemHash()), nodesByAddress, facts.get(p.itemHash())));
        }
        for (CrnSightings.Sighting s : onDemand.values()) {
            items.add(onDemandItem(s.itemHash(), s, nodesByAddress, facts.get(s.itemHash())));
        }
        List<Map<String, Object>> kept = new ArrayList<>();
        for (Map<String, Object> m : items) if (matches(m, filter)) kept.add(m);
        kept.sort(Comparator.comparing((Map<String, Object> m) -> "removed".equals(m.get("state")))
                .thenComparingDouble(m -> m.get("since") instanceof Double d ? -d : 0.0)
                .thenComparing(m -> (String) m.get("item_hash")));
        int from = Math.min(kept.size(), (page - 1) * pageSize);
        List<Map<String, Object>> pageItems = kept.subList(from, Math.min(kept.size(), from + pageSize));
        Map<String, JsonNode> prices = ccn.prices(pageItems.stream().map(m -> (String) m.get("item_hash")).toList(), WAIT_MS);
        for (Map<String, Object> m : pageItems) m.put("cost", cost(prices.get((String) m.get("item_hash"))));
        Map<String, Object> pagination = new LinkedHashMap<>();
        pagination.put("total", kept.size());
        pagination.put("page", page);
        pagination.put("page_size", pageSize);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("programs", new ArrayList<>(pageItems));
        body.put("pagination", pagination);
        body.put("ccn", ccn.status());
        body.put("time", clock.millis() / 1000.0);
        return body;
    }

    /** The newest sighting of each program the scheduler does not place ({@code persistent}: every program it knows). */
    private Map<String, CrnSightings.Sighting> latestOnDemand(Set<String> persistent) {
        Map<String, CrnSightings.Sighting> out = new LinkedHashMap<>();
        for (CrnSightings.Sighting s : crns.all()) {
            if (persistent.contains(s.itemHash())) continue;
            out.merge(s.itemHash(), s, (a, b) -> a.lastSeenMs() >= b.lastSeenMs() ? a : b);
        }
        return out;
    }

    private static boolean matches(Map<String, Object> m, Filter f) {
        if (f.owner() != null && !f.owner().equalsIgnoreCase(String.valueOf(m.get("owner")))) return false;
        if (f.state() != null && !f.state().equals(m.get("state"))) return false;
        if (f.query() != null) {
            String q = f.query().toLowerCase(Locale.ROOT);
            String name = m.get("name") == null ? "" : m.get("name").toString().toLowerCase(Locale.ROOT);
            return m.get("item_hash").toString().contains(q) || name.contains(q);
        }
        return true;
    }

    private Map<String, Object> item(ProgramRow p, AllocationRow a, Map<String, NodeRow> nodes, CcnView.Facts f) {
        String state;
        String reason = null;
        if ("removed".equals(p.status())) {
            state = "removed";
            reason = p.removedReason();
        } else if (a != null) {
            state = p.migrateTarget() != null ? "migrating" : "scheduled";
        } else if (p.unschedulableReason() != null) {
            state = "unschedulable";
            reason = p.unschedulableReason();
        } else {
            state = "unscheduled";
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("item_hash", p.itemHash());
        m.put("name", f == null ? null : f.name());
        m.put("owner", p.owner());
        m.put("kind", "persistent");
        m.put("state", state);
        m.put("reason", reason);
        NodeRow n = a == null ? null : nodes.get(a.nodeAddress());
        m.put("node_hash", a == null ? null : NodeRows.nodeHash(a.nodeAddress()));
        m.put("node_url", n == null ? null : n.url());
        m.put("epoch", a != null ? a.epoch() : p.epoch() == 0 ? null : p.epoch());
        m.put("since", a != null ? a.sinceMs() / 1000.0 : p.createdMs() / 1000.0);
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("vcpus", p.vcpus());
        res.put("memory_mib", p.memoryMib());
        JsonNode content = f == null ? null : f.content();
        res.put("seconds", content == null || !content.path("resources").path("seconds").isNumber() ? null
                : content.path("resources").path("seconds").asDouble());
        res.put("persistent_disk_mib", persistentDiskMib(p));
        m.put("resources", res);
        return m;
    }

    private static Map<String, Object> onDemandItem(String hash, CrnSightings.Sighting s, Map<String, NodeRow> nodes,
                                                    CcnView.Facts f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("item_hash", hash);
        m.put("name", f == null ? null : f.name());
        m.put("owner", f == null ? null : f.owner());
        m.put("kind", "on-demand");
        m.put("state", "on-demand");
        m.put("reason", null);
        NodeRow n = s == null ? null : nodes.get(s.nodeAddress());
        m.put("node_hash", s == null ? null : NodeRows.nodeHash(s.nodeAddress()));
        m.put("node_url", n == null ? null : n.url());
        m.put("epoch", null);
        m.put("since", s == null ? null : s.firstSeenMs() / 1000.0);
        m.put("last_seen", s == null ? null : s.lastSeenMs() / 1000.0);
        Map<String, Object> res = new LinkedHashMap<>();
        JsonNode r = f == null || f.content() == null ? null : f.content().path("resources");
        res.put("vcpus", r == null || !r.path("vcpus").isNumber() ? null : r.path("vcpus").asInt());
        res.put("memory_mib", r == null || !r.path("memory").isNumber() ? null : r.path("memory").asLong());
        res.put("seconds", r == null || !r.path("seconds").isNumber() ? null : r.path("seconds").asDouble());
        m.put("resources", res);
        return m;
    }

    private static Map<String, Object> cost(JsonNode price) {
        if (price == null) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("required_tokens", price.get("required_tokens"));
        m.put("payment_type", price.path("payment_type").asText(null));
        m.put("cost", price.get("cost"));
        return m;
    }

    // ---------------------------------------------------------------- one program

    Optional<Map<String, Object>> program(String hash) {
        Optional<ProgramRow> p = store.program(hash);
        Map<String, NodeRow> nodes = new HashMap<>();
        for (NodeRow n : store.nodes()) nodes.put(n.address(), n);
        CrnSightings.Sighting sighting = null;
        if (p.isEmpty()) {
            for (CrnSightings.Sighting s : crns.all()) {
                if (s.itemHash().equals(hash) && (sighting == null || s.lastSeenMs() > sighting.lastSeenMs())) sighting = s;
            }
        }
        Optional<CcnView.Facts> f = ccn.facts(hash, WAIT_MS);
        boolean aProgram = f.isPresent() && ("PROGRAM".equals(f.get().type()) || "INSTANCE".equals(f.get().type()));
        if (p.isEmpty() && sighting == null && !aProgram) return Optional.empty();
        Map<String, Object> item;
        if (p.isPresent()) item = item(p.get(), store.allocation(hash).orElse(null), nodes, f.orElse(null));
        else item = onDemandItem(hash, sighting, nodes, f.orElse(null));
        item.put("cost", cost(ccn.prices(List.of(hash), WAIT_MS).get(hash)));
        List<Map<String, Object>> history = new ArrayList<>();
        for (HistoryRow h : store.history(hash)) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("time", Instant.ofEpochMilli(h.timeMs()).toString());
            e.put("time_s", h.timeMs() / 1000.0);
            e.put("from_node", h.fromNode() == null ? null : NodeRows.nodeHash(h.fromNode()));
            e.put("to_node", h.toNode() == null ? null : NodeRows.nodeHash(h.toNode()));
            e.put("epoch", h.epoch());
            e.put("reason", h.reason());
            e.put("category", ReasonCategory.of(h.reason()));
            e.put("move", h.fromNode() != null || h.toNode() != null);
            history.add(e);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("program", item);
        body.put("history", history);
        body.put("volumes", p.map(volumes::volumes).orElse(List.of()));
        body.put("message", f.map(ConsoleViews::messageRefs).orElse(null));
        Map<String, String> nodeUrls = new LinkedHashMap<>();
        for (NodeRow n : nodes.values()) nodeUrls.put(n.nodeHash(), n.url());
        body.put("node_urls", nodeUrls);
        body.put("ccn", ccn.status());
        body.put("time", clock.millis() / 1000.0);
        return Optional.of(body);
    }

    private static Map<String, Object> messageRefs(CcnView.Facts f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("item_hash", f.itemHash());
        m.put("type", f.type());
        m.put("sender", f.sender());
        m.put("status", f.status());
        m.put("time", f.time());
        JsonNode c = f.content();
        List<Map<String, Object>> refs = new ArrayList<>();
        if (c != null) {
            ref(refs, "code", c.path("code"));
            ref(refs, "runtime", c.path("runtime"));
            ref(refs, "data", c.path("data"));
            for (JsonNode v : c.path("volumes")) if (v.hasNonNull("ref")) ref(refs, "volume " + v.path("mount").asText(""), v);
            m.put("persistent", c.path("on").path("persistent").asBoolean(false));
        }
        m.put("refs", refs);
        return m;
    }

    private static void ref(List<Map<String, Object>> out, String role, JsonNode n) {
        if (!n.path("ref").isTextual()) return;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("role", role);
        r.put("ref", n.path("ref").asText());
        out.add(r);
    }

    /** The node that runs (or last ran) {@code hash}: its current allocation, its last placement, or where it was last seen. */
    Optional<NodeRow> logsNode(String hash) {
        Optional<AllocationRow> a = store.allocation(hash);
        if (a.isPresent()) return store.node(a.get().nodeAddress());
        List<HistoryRow> h = store.history(hash);
        for (int i = h.size() - 1; i >= 0; i--) {
            String node = h.get(i).toNode() != null ? h.get(i).toNode() : h.get(i).fromNode();
            if (node != null) return store.node(node);
        }
        CrnSightings.Sighting best = null;
        for (CrnSightings.Sighting s : crns.all()) {
            if (s.itemHash().equals(hash) && (best == null || s.lastSeenMs() > best.lastSeenMs())) best = s;
        }
        return best == null ? Optional.empty() : store.node(best.nodeAddress());
    }

    // ---------------------------------------------------------------- change digest

    /** Changes when nodes (not their heartbeat times), allocations, programs or history change. */
    String storeDigest() {
        List<NodeRow> nodes = store.nodes();
        Map<String, String> states = nodeStates(nodes);
        StringBuilder sb = new StringBuilder();
        for (NodeRow n : nodes) {
            sb.append(n.address()).append('|').append(n.url()).append('|').append(n.executor()).append('|').append(n.vcpus())
                    .append('|').append(n.memoryMib()).append('|').append(n.diskMib()).append('|').append(n.executions())
                    .append('|').append(states.get(n.address())).append('\n');
        }
        for (AllocationRow a : store.allocations()) sb.append(a.itemHash()).append('@').append(a.nodeAddress()).append('#').append(a.epoch()).append('\n');
        for (ProgramRow p : store.programs(null, null, 0, MAX_PROGRAMS)) {
            sb.append(p.itemHash()).append(p.status()).append(p.unschedulableReason()).append(p.migrateTarget()).append('\n');
        }
        sb.append(store.historyMark()).append('\n').append(crns.version());
        return org.aleph4j.message.ItemHashes.sha256Hex(sb.toString());
    }
}
