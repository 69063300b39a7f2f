package org.aleph4j.client.scheduler;

/**
 * A monotonic clock in nanoseconds. Leases are counted on it, never on wall time, so a wall-clock
 * jump cannot extend or shorten a lease. Tests inject a manual ticker.
 */
@FunctionalInterface
public interface Ticker {
    /** Monotonic nanoseconds from an arbitrary origin. */
    long nanos();

    /** {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
