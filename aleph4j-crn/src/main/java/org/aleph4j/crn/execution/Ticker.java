package org.aleph4j.crn.execution;

/** Monotonic time in nanoseconds; injected so idle and lease logic do not read the system clock directly. */
@FunctionalInterface
public interface Ticker {
    long nanoTime();

    Ticker SYSTEM = System::nanoTime;
}
