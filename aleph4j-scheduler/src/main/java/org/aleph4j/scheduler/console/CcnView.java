package org.aleph4j.scheduler.console;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.message.Json;

import java.io.IOException;
import java.net.URI;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * What the console reads from the CCN, cached: a program's facts (its message never changes, so once
 * is enough), prices (a minute), message pages (a second, and the last good page is kept for when
 * the CCN is down). After a failed call the CCN is not asked again for a few seconds, so pages answer
 * at once with what is known and {@link #status()} says since when the CCN was last seen.
 */
final class CcnView implements AutoCloseable {
    /** What the console shows of a message: the whole answer of {@code GET /api/v0/messages/{hash}} is kept for programs only. */
    record Facts(String itemHash, String type, String sender, String owner, String name, Double time, JsonNode content,
                 String status) {
        static final Facts MISSING = new Facts(null, null, null, null, null, null, null, null);
    }

    private record Timed<T>(T value, long atMs) {}

    private static final int MAX_FACTS = 10_000;
    private static final long PRICE_TTL_MS = 60_000;
    private static final long PAGE_TTL_MS = 1_000;
    private static final long MISSING_TTL_MS = 30_000;
    private static final long BACKOFF_MS = 3_000;
    private static final long PROBE_AFTER_MS = 2_000;
    private static final int MAX_BODY = 4 << 20;

    private final URI base;
    private final Outbound http;
    private final InstantSource clock;
    private final Map<String, Timed<Facts>> facts = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Timed<Facts>> e) {
                    return size() > MAX_FACTS;
                }
            });
    private final Map<String, Timed<JsonNode>> prices = new ConcurrentHashMap<>();
    private final Map<String, Timed<JsonNode>> pages = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<?>> inFlight = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private volatile long lastOkMs;
    private volatile long lastFailMs;
    private volatile String lastError;

    CcnView(URI base, Outbound http, InstantSource clock) {
        this.base = base;
        this.http = http;
        this.clock = clock;
    }

    URI url() {
        return base;
    }

    /**
     * {@code {url, reachable, last_seen (s, null: never), error}}. When nothing asked the CCN for a
     * few seconds (everything was cached), a one-message page is asked first, so the answer is current.
     */
    Map<String, Object> status() {
        if (base != null && clock.millis() - Math.max(lastOkMs, lastFailMs) > PROBE_AFTER_MS) {
            messages(MessageQuery.builder().pagination(1).page(1).build());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", base == null ? null : base.toString());
        m.put("reachable", base != null && lastOkMs > 0 && lastOkMs >= lastFailMs);
        m.put("last_seen", lastOkMs == 0 ? null : lastOkMs / 1000.0);
        m.put("error", lastFailMs > lastOkMs ? lastError : null);
        return m;
    }

    private boolean backingOff() {
        return base == null || (lastFailMs > lastOkMs && clock.millis() - lastFailMs < BACKOFF_MS);
    }

    /** GETs a CCN path as JSON; empty on 404; IOException when the CCN does not answer (or answers badly). */
    private Optional<JsonNode> get(String pathAndQuery) throws IOException {
        if (backingOff()) throw new IOException("the CCN is unreachable" + (lastError == null ? "" : ": " + lastError));
        try {
            Outbound.Response r = http.get(URI.create(base.toString().replaceAll("/+$", "") + pathAndQuery), Map.of(), MAX_BODY);
            if (r.status() >= 500) throw new IOException("the CCN answered " + r.status());
            lastOkMs = clock.millis();
            if (r.status() == 404) return Optional.empty();
            if (r.status() >= 400) throw new IOException("the CCN answered " + r.status());
            return Optional.of(Json.MAPPER.readTree(r.body()));
        } catch (IOException e) {
            if (!(e instanceof com.fasterxml.jackson.core.JsonProcessingException)) {
                lastFailMs = clock.millis();
                lastError = e.getMessage();
            }
            throw e;
        }
    }

    /** The facts of each hash that are known now or arrive within {@code waitMs}; the others are fetched on. */
    Map<String, Facts> facts(Collection<String> hashes, long waitMs) {
        Map<String, Facts> out = new LinkedHashMap<>();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        long now = clock.millis();
        for (String h : hashes) {
            Timed<Facts> t = facts.get(h);
            if (t != null && (t.value() != Facts.MISSING || now - t.atMs() < MISSING_TTL_MS)) {
                if (t.value() != Facts.MISSING) out.put(h, t.value());
                continue;
            }
            if (backingOff()) continue;
            pending.add(inFlight.computeIfAbsent("m:" + h, k -> CompletableFuture.runAsync(() -> fetchFacts(h), workers)
                    .whenComplete((v, e) -> inFlight.remove(k))));
        }
        await(pending, waitMs);
        for (String h : hashes) {
            Timed<Facts> t = facts.get(h);
            if (t != null && t.value() != Facts.MISSING) out.put(h, t.value());
        }
        return out;
    }

    Optional<Facts> facts(String hash, long waitMs) {
        return Optional.ofNullable(facts(List.of(hash), waitMs).get(hash));
    }

    private void fetchFacts(String hash) {
        try {
            Optional<JsonNode> m = get("/api/v0/messages/" + hash);
            facts.put(hash, new Timed<>(m.map(j -> parse(hash, j)).orElse(Facts.MISSING), clock.millis()));
        } catch (IOException | RuntimeException e) {
            // unknown for now: asked again on the next page load
        }
    }

    static Facts parse(String hash, JsonNode answer) {
        JsonNode m = answer.path("message");
        JsonNode content = m.path("content");
        if (!content.isObject() && m.path("item_content").isTextual()) {
            try {
                content = Json.MAPPER.readTree(m.path("item_content").asText());
            } catch (IOException e) {
                content = null;
            }
        }
        if (content != null && !content.isObject()) content = null;
        String type = m.path("type").asText(null);
        String name = content == null ? null : content.path("metadata").path("name").asText(null);
        if (name != null && name.length() > 200) name = name.substring(0, 200);
        String owner = content == null ? null : content.path("address").asText(null);
        return new Facts(hash, type, m.path("sender").asText(null), owner == null ? m.path("sender").asText(null) : owner, name,
                m.path("time").isNumber() ? m.path("time").asDouble() : null,
                "PROGRAM".equals(type) || "INSTANCE".equals(type) ? content : null, answer.path("status").asText(null));
    }

    /** The CCN's price of each hash known now or arriving within {@code waitMs}. */
    Map<String, JsonNode> prices(Collection<String> hashes, long waitMs) {
        List<CompletableFuture<?>> pending = new ArrayList<>();
        long now = clock.millis();
        for (String h : hashes) {
            Timed<JsonNode> t = prices.get(h);
            if (t != null && now - t.atMs() < PRICE_TTL_MS) continue;
            if (backingOff()) continue;
            pending.add(inFlight.computeIfAbsent("p:" + h, k -> CompletableFuture.runAsync(() -> {
                try {
                    get("/api/v0/price/" + h).ifPresent(j -> prices.put(h, new Timed<>(j, clock.millis())));
                } catch (IOException | RuntimeException e) {
                    // shown without a cost
                }
            }, workers).whenComplete((v, e) -> inFlight.remove(k))));
        }
        await(pending, waitMs);
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (String h : hashes) {
            Timed<JsonNode> t = prices.get(h);
            if (t != null) out.put(h, t.value());
        }
        if (prices.size() > MAX_FACTS) prices.clear();
        return out;
    }

    /**
     * A page of {@code messages.json}: fresh if the CCN answers, else the last good copy of the same
     * page ({@code stale}), else empty. The boolean says whether it is fresh.
     */
    record PageAnswer(JsonNode json, boolean fresh) {}

    PageAnswer messages(MessageQuery q) {
        String qs = q.queryString();
        Timed<JsonNode> cached = pages.get(qs);
        long now = clock.millis();
        if (cached != null && now - cached.atMs() < PAGE_TTL_MS) return new PageAnswer(cached.value(), true);
        try {
            JsonNode j = get("/api/v0/messages.json" + (qs.isEmpty() ? "" : "?" + qs)).orElse(null);
            if (j != null) {
                if (pages.size() > 256) pages.clear();
                pages.put(qs, new Timed<>(j, clock.millis()));
                return new PageAnswer(j, true);
            }
        } catch (IOException | RuntimeException e) {
            // below: the last good copy
        }
        return new PageAnswer(cached == null ? null : cached.value(), false);
    }

    /** The CCN's answer for one message; empty on 404; IOException when the CCN is down. */
    Optional<JsonNode> message(String hash) throws IOException {
        String key = "one:" + hash;
        Timed<JsonNode> cached = pages.get(key);
        if (cached != null && clock.millis() - cached.atMs() < PAGE_TTL_MS) return Optional.of(cached.value());
        Optional<JsonNode> j = get("/api/v0/messages/" + hash);
        j.ifPresent(v -> pages.put(key, new Timed<>(v, clock.millis())));
        return j;
    }

    private static void await(List<CompletableFuture<?>> pending, long waitMs) {
        if (pending.isEmpty()) return;
        try {
            CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(waitMs, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // what arrived in time is shown; the rest fills the caches for the next load
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
