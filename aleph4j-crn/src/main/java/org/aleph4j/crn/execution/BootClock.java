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
 * wakes up with its leases already expired. It is the monotonic clock plus the time spent
 * suspended, that offset sampled from {@code /proc/uptime} (which the kernel computes from
 * CLOCK_BOOTTIME) at most every {@link #REFRESH_NANOS} of monotonic time, so requests do not read a
 * file. Each sample is a lower bound of the true offset and the largest one is kept: a reading is
 * never ahead of the true clock, so deadlines computed from it err early, never late. Where
 * {@code /proc/uptime} cannot be read (not Linux) it is the monotonic clock.
 */
public final class BootClock {
    /** How far behind the true CLOCK_BOOTTIME a reading may be. */
    public static final long GRANULARITY_NANOS = 10_000_000L;
    private static final Path UPTIME = Path.of("/proc/uptime");
    /** How often, in monotonic time, the suspend offset is sampled again. */
    static final long REFRESH_NANOS = 50_000_000L;
    private static final boolean AVAILABLE = read() >= 0;
    private static long offset = Long.MIN_VALUE;
    private static long sampledAt;

    /** The clock as a {@link Ticker}. */
    public static final Ticker TICKER = BootClock::nanos;

    private BootClock() {}

    /** Nanoseconds since boot, suspends included. */
    public static long nanos() {
        long mono = System.nanoTime();
        if (!AVAILABLE) return mono;
        synchronized (BootClock.class) {
            if (offset == Long.MIN_VALUE || mono - sampledAt >= REFRESH_NANOS) {
                long up = read();
                long after = System.nanoTime();
                // up was read before `after`: up - after cannot exceed the true offset
                if (up >= 0) offset = Math.max(offset, up - after);
                sampledAt = after;
            }
            return offset == Long.MIN_VALUE ? mono : mono + offset;
        }
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
