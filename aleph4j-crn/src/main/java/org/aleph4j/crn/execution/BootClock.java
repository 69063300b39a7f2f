package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.aleph4j.message.Ticker;

/**
 * {@code CLOCK_BOOTTIME} for the JVM: the clock the lease fence is counted on, shared with the
 * watchdog ({@code time.clock_gettime(CLOCK_BOOTTIME)}). Unlike {@code CLOCK_MONOTONIC}
 * ({@link System#nanoTime()}) it keeps counting while the host is suspended, so a suspended node
 * wakes up with its leases already expired. Read from {@code /proc/uptime}, which the kernel
 * computes from that clock, to the hundredth of a second: a value is at most
 * {@link #GRANULARITY_NANOS} behind the true one, so deadlines computed from it err early, never
 * late. Where {@code /proc/uptime} cannot be read (not Linux) it falls back to the monotonic clock.
 */
public final class BootClock {
    /** How far behind the true CLOCK_BOOTTIME a reading may be. */
    public static final long GRANULARITY_NANOS = 10_000_000L;
    private static final Path UPTIME = Path.of("/proc/uptime");
    private static final boolean AVAILABLE = read() >= 0;

    /** The clock as a {@link Ticker}. */
    public static final Ticker TICKER = BootClock::nanos;

    private BootClock() {}

    /** Nanoseconds since boot, suspends included. */
    public static long nanos() {
        if (!AVAILABLE) return System.nanoTime();
        long n = read();
        return n >= 0 ? n : System.nanoTime();
    }

    private static long read() {
        try {
            String s = new String(Files.readAllBytes(UPTIME), StandardCharsets.US_ASCII);
            String first = s.substring(0, s.indexOf(' '));
            int dot = first.indexOf('.');
            long seconds = Long.parseLong(first.substring(0, dot));
            String frac = (first.substring(dot + 1) + "000000000").substring(0, 9);
            return seconds * 1_000_000_000L + Long.parseLong(frac);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
