package org.aleph4j.scheduler.console;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.scheduler.store.Records.NodeRow;

import java.net.URI;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Executions seen on the CRNs ({@code GET /about/executions/list}, polled in parallel at most every
 * few seconds, each with a short timeout), so the console can list on-demand programs, which the
 * scheduler does not place. A sighting is remembered for an hour after it was last seen.
 */
final class CrnSightings implements AutoCloseable {
    /** A program seen running on a node: first and last seen (wall ms) and the vm_type the node gave. */
    record Sighting(String itemHash, String nodeAddress, String vmType, long firstSeenMs, long lastSeenMs) {}

    static final long REMEMBER_MS = 3_600_000;
    private static final long MIN_INTERVAL_MS = 3_000;
    private static final int MAX_SIGHTINGS = 10_000;
    private static final int MAX_PER_NODE = 2_000;
    private static final int MAX_BODY = 1 << 20;

    private final Outbound http;
    private final InstantSource clock;
    private final Map<String, Sighting> sightings = new ConcurrentHashMap<>(); // key: node address + " " + item hash
    private final Map<String, Set<String>> runningNow = new ConcurrentHashMap<>(); // node address -> hashes of its last answer
    private final Map<String, CompletableFuture<?>> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong version = new AtomicLong();
    private volatile long lastPollMs;

    CrnSightings(Outbound http, InstantSource clock) {
        this.http = http;
        this.clock = clock;
    }

    /** Polls {@code nodes} unless that was done moments ago, waiting at most {@code waitMs} for their answers. */
    void refresh(Collection<NodeRow> nodes, long waitMs) {
        long now = clock.millis();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        if (now - lastPollMs >= MIN_INTERVAL_MS) {
            lastPollMs = now;
            for (NodeRow n : nodes) {
                if (n.url() == null) continue;
                pending.add(inFlight.computeIfAbsent(n.address(), k -> CompletableFuture.runAsync(() -> poll(n), workers)
                        .whenComplete((v, e) -> inFlight.remove(k))));
            }
        } else {
            pending.addAll(inFlight.values());
        }
        if (!pending.isEmpty()) {
            try {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(waitMs, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // slower nodes fill in for the next load
            }
        }
        expire();
    }

    private void poll(NodeRow n) {
        try {
            Outbound.Response r = http.get(URI.create(n.url().replaceAll("/+$", "") + "/about/executions/list"), Map.of(), MAX_BODY);
            if (r.status() != 200) return;
            JsonNode list = Json.MAPPER.readTree(r.body());
            if (list == null || !list.isObject()) return;
            long now = clock.millis();
            Set<String> seen = ConcurrentHashMap.newKeySet();
            Iterator<Map.Entry<String, JsonNode>> it = list.fields();
            while (it.hasNext() && seen.size() < MAX_PER_NODE) {
                var e = it.next();
                if (!ItemHashes.isItemHash(e.getKey())) continue;
                String vmType = e.getValue().path("vm_type").asText("");
                if (vmType.length() > 40) vmType = vmType.substring(0, 40);
                seen.add(e.getKey());
                String key = n.address() + " " + e.getKey();
                Sighting old = sightings.get(key);
                if (old == null && sightings.size() >= MAX_SIGHTINGS) continue;
                sightings.put(key, new Sighting(e.getKey(), n.address(), vmType, old == null ? now : old.firstSeenMs(), now));
            }
            Set<String> before = runningNow.put(n.address(), seen);
            if (!seen.equals(before)) version.incrementAndGet();
        } catch (Exception e) {
            // a node that does not answer shows what it was last seen running
        }
    }

    private void expire() {
        long now = clock.millis();
        sightings.values().removeIf(s -> now - s.lastSeenMs() > REMEMBER_MS);
    }

    /** Every remembered sighting. */
    Collection<Sighting> all() {
        return List.copyOf(sightings.values());
    }

    /** What {@code nodeAddress} answered last time (empty: never answered). */
    Set<String> running(String nodeAddress) {
        return runningNow.getOrDefault(nodeAddress, Set.of());
    }

    /** Changes whenever a node's running set changes (for the event stream's digest). */
    long version() {
        return version.get();
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
