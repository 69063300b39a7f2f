package org.aleph4j.scheduler.leader;

import org.aleph4j.message.Ticker;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;

/**
 * Holds or waits for the leader row. The leader renews it every {@code renewEvery} with an expiry of
 * {@code ttl} (wall time, compared by the standbys); it considers itself leader only until
 * {@code ttl - margin} after the start of its last successful renewal on its OWN monotonic clock, so a
 * leader that froze or lost the database stops granting before a standby can take over.
 */
public final class LeaderElection {
    private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

    /** Called when leadership is gained or lost. */
    public interface Listener {
        void leading();

        void standby();
    }

    private final SchedulerStore store;
    private final String id;
    private final String url;
    private final Duration ttl;
    private final Duration margin;
    private final Ticker ticker;
    private final InstantSource wallClock;
    private final Listener listener;
    private volatile long validUntilNanos;
    private volatile boolean leader;

    public LeaderElection(SchedulerStore store, String id, String url, Duration ttl, Duration margin, Ticker ticker,
                          InstantSource wallClock, Listener listener) {
        this.store = store;
        this.id = id;
        this.url = url;
        this.ttl = ttl;
        this.margin = margin;
        this.ticker = ticker;
        this.wallClock = wallClock;
        this.listener = listener;
    }

    /** True while this process may act as leader (checked before every grant). */
    public boolean valid() {
        return leader && ticker.nanos() - validUntilNanos < 0;
    }

    /** One round: renew or try to take the row; notifies the listener on change. */
    public void round() {
        long started = ticker.nanos();
        boolean won;
        try {
            won = store.tryLead(id, url, wallClock.millis(), ttl.toMillis());
        } catch (RuntimeException e) {
            log.warn("leader row unreachable: {}", e.toString());
            won = false;
        }
        if (won) {
            validUntilNanos = started + ttl.toNanos() - margin.toNanos();
            if (!leader) {
                leader = true;
                log.info("scheduler {} is now the leader", id);
                listener.leading();
            }
        } else if (leader && !valid()) {
            leader = false;
            log.warn("scheduler {} lost leadership", id);
            listener.standby();
        } else if (leader) {
            // Renewal failed but our last one still holds: keep leading until it runs out.
            return;
        }
    }

    public boolean isLeader() {
        return leader;
    }

    /** Gives the row up so a standby takes over without waiting for expiry. */
    public void resign() {
        if (leader) {
            leader = false;
            try {
                store.resign(id);
            } catch (RuntimeException e) {
                log.warn("could not resign: {}", e.toString());
            }
        }
    }
}
