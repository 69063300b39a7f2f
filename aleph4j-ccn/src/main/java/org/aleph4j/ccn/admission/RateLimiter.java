package org.aleph4j.ccn.admission;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per key: {@code perMinute} requests a minute, with bursts of up to {@code perMinute}. Time
 * comes from an injected nanosecond ticker. Buckets that refilled completely are forgotten, so the table only
 * holds keys that were busy within the last minute.
 */
public final class RateLimiter {
    private static final long MINUTE_NANOS = 60_000_000_000L;
    private static final int SWEEP_ABOVE = 10_000;

    private final int perMinute;
    private final LongSupplier nanos;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** Tokens held as of {@code at}; refill is computed on each use. */
    private static final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }
    }

    /** Admitted, or refused with how long to wait before one more is admitted. */
    public record Decision(boolean allowed, long retryAfterSeconds) {}

    public RateLimiter(int perMinute, LongSupplier nanos) {
        if (perMinute <= 0) throw new IllegalArgumentException("perMinute must be positive");
        this.perMinute = perMinute;
        this.nanos = nanos;
    }

    /** Takes one token from {@code key}'s bucket if it has one. */
    public Decision tryAcquire(String key) {
        long now = nanos.getAsLong();
        if (buckets.size() > SWEEP_ABOVE) sweep(now);
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(perMinute, now));
        synchronized (b) {
            refill(b, now);
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return new Decision(true, 0);
            }
            double missing = 1 - b.tokens;
            long waitNanos = (long) Math.ceil(missing * MINUTE_NANOS / perMinute);
            return new Decision(false, Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L));
        }
    }

    private void refill(Bucket b, long now) {
        long elapsed = Math.max(0, now - b.at);
        b.tokens = Math.min(perMinute, b.tokens + (double) elapsed * perMinute / MINUTE_NANOS);
        b.at = now;
    }

    private void sweep(long now) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            Bucket b = it.next();
            synchronized (b) {
                refill(b, now);
                if (b.tokens >= perMinute) it.remove();
            }
        }
    }

    int trackedKeys() {
        return buckets.size();
    }
}
