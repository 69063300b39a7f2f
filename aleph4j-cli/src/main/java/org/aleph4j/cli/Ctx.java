package org.aleph4j.cli;

import java.io.PrintStream;
import java.time.InstantSource;
import java.util.Map;

/** What one CLI invocation runs with: its output streams, environment and clock. */
public record Ctx(PrintStream out, PrintStream err, Map<String, String> env, InstantSource clock) {
    /** Current time as upstream's float seconds. */
    public double now() {
        return clock.millis() / 1000.0;
    }
}
