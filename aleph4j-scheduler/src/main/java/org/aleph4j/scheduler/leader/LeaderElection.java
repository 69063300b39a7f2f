package org.aleph4j.scheduler.leader;

import org.aleph4j.message.Ticker;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Holds or waits for the leader row. The leader renews it every round with an expiry of {@code ttl}
 * past the DATABASE's clock, and a standby takes it only once that expiry is past on the same clock,
 * so schedulers whose own clocks disagree cannot both lead. Each leadership gets a new incarnation
 * number, incremented with the taking. The leader considers itself leader only until
 * {@code ttl - margin} after the START of its last successful renewal on its OWN monotonic clock, so
 * a leader that froze or lost the database stops granting before a standby can take over.
 */
public final class LeaderElection {
    private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

    /** Called when leadership is gained or lost. */
    public interface Listener {
        /** This scheduler leads, as {@code incarnation}. */
        void leading(long incarnation);

        void standby();
    }

    private final SchedulerStore store;
    private final String id;
    private final String url;
    private final Duration ttl;
    private final Duration margin;
    private final Ticker ticker;
    private final Listener listener;
    private volatile long validUntilNanos;
    private volatile boolean leader;
    private volatile long incarnation;
    private volatile String leaderUrl;

    public LeaderElection(SchedulerStore store, String id, String url, Duration ttl, Duration margin, Ticker ticker,
                          Listener listener) {
        this.store = store;
        this.id = id;
        this.url = url;
        this.ttl = ttl;
        this.margin = margin;
        this.ticker = ticker;
        this.listener = listener;
    }

    /** True while this process may act as leader (checked before every grant); reads no database. */
    public boolean valid() {
        return leader && ticker.nanos() - validUntilNanos < 0;
    }

    /**
     * One round: renew, or try to take the row; notifies the listener on change. A leader whose last
     * renewal no longer covers it steps down, even if a renewal still succeeds later: it takes the row
     * again as a new incarnation, so CRNs never mistake grants across the gap for one leadership.
     */
    public void round() {
        long started = ticker.nanos();
        if (leader) {
            if (!valid()) {
                lose("the leader row was not renewed within " + (ttl.toMillis() - margin.toMillis()) + " ms");
                return;
            }
            Boolean renewed;
            try {
                renewed = store.leaderRows().renewLead(id, url, ttl.toMillis());
            } catch (RuntimeException e) {
                log.warn("leader row unreachable: {}", e.toString());
                renewed = null;
            }
            if (Boolean.TRUE.equals(renewed)) {
                validUntilNanos = started + ttl.toNanos() - margin.toNanos();
                leaderUrl = url;
                if (!valid()) lose("renewing the leader row took longer than " + (ttl.toMillis() - margin.toMillis()) + " ms");
            } else if (Boolean.FALSE.equals(renewed)) {
                lose("another scheduler holds the leader row");
            } else if (!valid()) {
                lose("the leader row could not be renewed within " + (ttl.toMillis() - margin.toMillis()) + " ms");
            }
            // else: the renewal failed but the last one still holds; keep leading until it runs out.
            return;
        }
        java.util.OptionalLong won;
        try {
            won = store.leaderRows().takeLead(id, url, ttl.toMillis());
        } catch (RuntimeException e) {
            log.warn("leader row unreachable: {}", e.toString());
            return;
        }
        if (won.isPresent()) {
            validUntilNanos = started + ttl.toNanos() - margin.toNanos();
            incarnation = won.getAsLong();
            leaderUrl = url;
            leader = true;
            log.info("scheduler {} is now the leader (incarnation {})", id, incarnation);
            listener.leading(incarnation);
            return;
        }
        try {
            leaderUrl = store.leaderRows().leader().url();
        } catch (RuntimeException e) {
            // the leader's URL is only a hint for CRNs
        }
    }

    private void lose(String why) {
        leader = false;
        log.warn("scheduler {} lost leadership (incarnation {}): {}", id, incarnation, why);
        listener.standby();
    }

    public boolean isLeader() {
        return leader;
    }

    /** The incarnation this scheduler leads or last led (0 before it ever led). */
    public long incarnation() {
        return incarnation;
    }

    /** The leader's URL as last read from the leader row (this scheduler's own while it leads); may be null. */
    public String leaderUrl() {
        return leaderUrl;
    }

    /** Gives the row up so a standby takes over without waiting for expiry. */
    public void resign() {
        if (leader) {
            leader = false;
            try {
                store.leaderRows().resign(id);
            } catch (RuntimeException e) {
                log.warn("could not resign: {}", e.toString());
            }
        }
    }
}
