package org.aleph4j.crn.execution;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A program running under its watchdog. The watchdog owns the program's process group: writing to
 * its stdin renews or clears the lease deadline, closing stdin kills the program. The watchdog
 * exits when the program does; {@link #exitCode()} is then the program's status, or
 * {@link #EXIT_LEASE_EXPIRED} / {@link #EXIT_PIPE_CLOSED} when the watchdog killed it.
 */
public final class WatchedProcess {
    public static final int EXIT_LEASE_EXPIRED = 86;
    public static final int EXIT_PIPE_CLOSED = 87;

    private final Process watchdog;
    private final long programPgid;
    private final String address;
    private final int port;
    private final List<Path> cgroupProcs;
    private final OutputStream control;

    WatchedProcess(Process watchdog, long programPgid, String address, int port, List<Path> cgroupProcs) {
        this.watchdog = watchdog;
        this.address = address;
        this.programPgid = programPgid;
        this.port = port;
        this.cgroupProcs = cgroupProcs;
        this.control = watchdog.getOutputStream();
    }

    /** The IP address the CRN reaches the program at (127.0.0.1, or its sandbox's veth address). */
    public String address() {
        return address;
    }

    public int port() {
        return port;
    }

    /** Process group id of the program (its pid: it leads its own session). */
    public long programPgid() {
        return programPgid;
    }

    public long watchdogPid() {
        return watchdog.pid();
    }

    public boolean alive() {
        return watchdog.isAlive();
    }

    public Process watchdog() {
        return watchdog;
    }

    public Integer exitCode() {
        return watchdog.isAlive() ? null : watchdog.exitValue();
    }

    /** Moves the kill deadline {@code remaining} into the future. False when the watchdog is gone. */
    public boolean renew(Duration remaining) {
        return send(Long.toString(Math.max(0, remaining.toMillis())));
    }

    /** Removes the deadline: only the pipe-close rule remains. */
    public boolean clearDeadline() {
        return send("none");
    }

    private synchronized boolean send(String line) {
        try {
            control.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            control.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Terminates the program (SIGTERM, then SIGKILL after {@code grace}) and waits for the watchdog, bounded. */
    public void stop(Duration grace) {
        if (!watchdog.isAlive()) return;
        send("stop " + grace.toMillis());
        try {
            if (!watchdog.waitFor(grace.toMillis() + 3000, TimeUnit.MILLISECONDS)) kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** Closes the watchdog's stdin (it kills the program group at once), then makes sure both are gone. */
    public void kill() {
        try {
            control.close();
        } catch (IOException ignored) {
            // already closed
        }
        try {
            if (!watchdog.waitFor(3, TimeUnit.SECONDS)) {
                ProcessExecutor.killGroup(programPgid);
                watchdog.destroyForcibly();
                watchdog.waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ProcessExecutor.killGroup(programPgid);
            watchdog.destroyForcibly();
        }
    }
}
