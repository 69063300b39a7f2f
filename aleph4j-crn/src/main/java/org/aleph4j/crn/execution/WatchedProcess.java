package org.aleph4j.crn.execution;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A program running under its watchdog. The watchdog owns the program's process group: writing to
 * its stdin renews (to an absolute time on {@link BootClock}) or clears the lease deadline, closing stdin kills the program. The watchdog
 * exits when the program does; {@link #exitCode()} is then the program's status, or
 * {@link #EXIT_LEASE_EXPIRED} / {@link #EXIT_PIPE_CLOSED} when the watchdog killed it.
 */
public final class WatchedProcess {
    private static final Logger log = LoggerFactory.getLogger(WatchedProcess.class);
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

    /**
     * Moves the kill deadline to {@code atBootNanos} on {@link BootClock} (absolute, so neither a
     * pause of the CRN between computing and sending it nor a slow pipe can lengthen the fence).
     * False when the watchdog is gone.
     */
    public boolean renewUntil(long atBootNanos) {
        return send("at " + Math.max(0, atBootNanos / 1_000_000L));
    }

    /** {@link #renewUntil} {@code remaining} from now. */
    public boolean renew(Duration remaining) {
        return renewUntil(BootClock.nanos() + Math.max(0, remaining.toNanos()));
    }

    /** Removes the deadline: only the pipe-close rule remains. */
    public boolean clearDeadline() {
        return send("none");
    }

    synchronized boolean send(String line) {
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
                killGroup(programPgid);
                watchdog.destroyForcibly();
                watchdog.waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killGroup(programPgid);
            watchdog.destroyForcibly();
        }
    }

    /**
     * Waits until the program accepts TCP connections on its port, polling every few ms, bounded by
     * {@code timeout}. Returns false when the process exited first or the time ran out.
     */
    static boolean awaitListening(WatchedProcess p, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        long pause = 5;
        while (System.nanoTime() < end) {
            if (!p.alive()) return false;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(p.address(), p.port()), 200);
                return true;
            } catch (IOException e) {
                // not listening yet
            }
            try {
                if (p.watchdog().waitFor(pause, TimeUnit.MILLISECONDS)) return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            pause = Math.min(10, pause + 2);
        }
        return false;
    }

    /** SIGKILL to a whole process group; used for leftovers and as the last resort. */
    static void killGroup(long pgid) {
        if (pgid <= 1) return;
        try {
            Process k = new ProcessBuilder("kill", "-KILL", "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            k.waitFor(3, TimeUnit.SECONDS);
        } catch (IOException e) {
            log.warn("cannot kill process group {}: {}", pgid, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
