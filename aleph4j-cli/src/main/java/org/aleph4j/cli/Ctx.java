package org.aleph4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.Map;

/** What one CLI invocation runs with: its input and output streams, environment and clock. */
public record Ctx(InputStream in, PrintStream out, PrintStream err, Map<String, String> env, InstantSource clock) {
    /** All of standard input as UTF-8 (for commands that read a message or content when no option gives it). */
    public String readStdin() {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("cannot read standard input: " + e.getMessage());
        }
    }

    /** Current time as upstream's float seconds. */
    public double now() {
        return clock.millis() / 1000.0;
    }
}
