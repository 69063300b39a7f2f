package org.aleph4j.crn.execution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The JVM's CLOCK_BOOTTIME against the kernel's own reading of it, the one the watchdog compares with. */
class BootClockTest {
    static double uptimeSeconds() throws Exception {
        String s = Files.readString(Path.of("/proc/uptime"));
        return Double.parseDouble(s.substring(0, s.indexOf(' ')));
    }

    @Test
    void readingsNeverRunAheadOfTheKernelsClockAndStayWithinItsGranularity() throws Exception {
        for (int i = 0; i < 200; i++) {
            double before = uptimeSeconds();
            long ours = BootClock.nanos();
            double after = uptimeSeconds() + 0.01; // /proc/uptime is floored to 10 ms
            assertThat(ours / 1e9).isLessThanOrEqualTo(after);
            // never later than the true clock, and at most a granularity (plus a refresh period of drift-free time) behind
            assertThat(ours / 1e9).isGreaterThan(before - 0.05);
        }
    }

    @Test
    void theClockNeverGoesBackwards() {
        long last = BootClock.nanos();
        for (int i = 0; i < 100_000; i++) {
            long now = BootClock.nanos();
            assertThat(now).isGreaterThanOrEqualTo(last);
            last = now;
        }
    }
}
