package org.aleph4j.crn.lease;

import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.message.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the lease holder of a persistent program through the scheduler's
 * {@code GET /api/v0/allocation/{hash}}, caching answers for a short time so a burst of requests
 * costs one lookup. When the scheduler cannot be reached the answer is "nobody" (the gateway then
 * answers 503 rather than starting a second copy).
 */
public final class SchedulerLeaseDirectory implements LeaseDirectory {
    private static final Logger log = LoggerFactory.getLogger(SchedulerLeaseDirectory.class);
    private final SchedulerClient client;
    private final Duration cacheFor;
    private final Ticker ticker;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private final Map<String, CachedWhy> why = new ConcurrentHashMap<>();

    private record Cached(Optional<URI> holder, long atNanos) {}

    private record CachedWhy(Optional<Unplaced> unplaced, long atNanos) {}

    /** A directory caching answers for 500 ms. */
    public SchedulerLeaseDirectory(SchedulerClient client) {
        this(client, Duration.ofMillis(500), Ticker.system());
    }

    public SchedulerLeaseDirectory(SchedulerClient client, Duration cacheFor, Ticker ticker) {
        this.client = client;
        this.cacheFor = cacheFor;
        this.ticker = ticker;
    }

    @Override
    public Optional<URI> holderOf(String itemHash) {
        long now = ticker.nanos();
        Cached c = cache.get(itemHash);
        if (c != null && now - c.atNanos() < cacheFor.toNanos()) return c.holder();
        Optional<URI> holder;
        try {
            holder = client.allocation(itemHash).map(a -> a.node() == null || a.node().url() == null ? null
                    : URI.create(a.node().url()));
        } catch (RuntimeException e) {
            log.debug("scheduler lookup of {} failed: {}", itemHash, e.getMessage());
            return Optional.empty(); // not cached: try again on the next request
        }
        if (cache.size() > 10_000) cache.clear(); // bounded: stale entries are worthless anyway
        cache.put(itemHash, new Cached(holder, now));
        return holder;
    }

    @Override
    public Optional<Unplaced> unplaced(String itemHash) {
        long now = ticker.nanos();
        CachedWhy c = why.get(itemHash);
        if (c != null && now - c.atNanos() < cacheFor.toNanos()) return c.unplaced();
        Optional<Unplaced> answer;
        try {
            answer = client.vm(itemHash).filter(v -> !"allocated".equals(v.status()))
                    .map(v -> new Unplaced(v.failedEverywhere(), "unschedulable".equals(v.schedulingStatus()) ? v.reason() : null,
                            v.lastError()));
        } catch (RuntimeException e) {
            log.debug("scheduler lookup of {} failed: {}", itemHash, e.getMessage());
            return Optional.empty();
        }
        if (why.size() > 10_000) why.clear();
        why.put(itemHash, new CachedWhy(answer, now));
        return answer;
    }
}
