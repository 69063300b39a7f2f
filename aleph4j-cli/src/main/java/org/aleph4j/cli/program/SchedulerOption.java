package org.aleph4j.cli.program;

import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Settings;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import picocli.CommandLine.Option;

import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;

/**
 * {@code --scheduler-url} and how the program commands that ask the scheduler ({@code status},
 * {@code migrate}) reach it and report its failures.
 */
final class SchedulerOption {
    @Option(names = "--scheduler-url", paramLabel = "URL",
            description = "Scheduler API, or several comma-separated (a leader and its standbys; env ALEPH_SCHEDULER_URL, "
                    + "config scheduler_url; default " + Settings.DEFAULT_SCHEDULER + ").")
    String url;

    /** The (first) scheduler's URL: the flag, else the environment, else config.json, else the devnet's. */
    URI url(Settings settings) {
        return settings.schedulerUrl(url);
    }

    /** A client of that scheduler, each call bounded by {@code timeoutSeconds}, signing with {@code clock}'s time. */
    SchedulerClient client(Settings settings, int timeoutSeconds, InstantSource clock) {
        return new SchedulerClient(settings.schedulerUrls(url), Duration.ofSeconds(timeoutSeconds), clock);
    }

    /** One line for a failed scheduler call: how to start one when none answered, else its status and message. */
    static CliException failure(URI scheduler, SchedulerException e) {
        return new CliException(e.isUnreachable()
                ? "cannot reach the scheduler at " + scheduler + " — start a devnet with `bin/aleph-node devnet` or pass --scheduler-url"
                : "the scheduler at " + scheduler + " answered HTTP " + e.httpStatus() + ": " + e.getMessage());
    }
}
