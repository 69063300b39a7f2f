package org.aleph4j.message;

/**
 * A monotonic clock in nanoseconds, injected wherever something waits, expires or measures (leases,
 * idle timeouts, leader terms), so that logic is tested with a manual ticker instead of sleeping and a
 * wall-clock jump cannot extend or shorten anything counted on it.
 */
@FunctionalInterface
public interface Ticker {
    /** Monotonic nanoseconds from an arbitrary origin; only differences between two readings mean anything. */
    long nanos();

    /** {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
