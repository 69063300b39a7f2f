package org.aleph4j.crn.execution;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.prepare.PreparedProgram;
import org.aleph4j.crn.prepare.ProgramInfo;

/**
 * One execution of a program on this node. State changes happen only while holding {@link #lock}
 * (the supervisor is its single owner); readers use the volatile fields.
 */
public final class Execution {
    final String id;
    final String itemHash;
    final boolean persistent;
    final long epoch;
    final ReentrantLock lock = new ReentrantLock();
    final Map<ExecutionState, Instant> times = new ConcurrentHashMap<>();
    final AtomicInteger inFlight = new AtomicInteger();
    volatile ExecutionState state = ExecutionState.DEFINED;
    volatile String reason;
    volatile ProgramInfo program;
    volatile PreparedProgram prepared;
    volatile WatchedProcess process;
    volatile long lastActivityNanos;
    volatile int generation;
    volatile CrnException lastFailure;
    volatile int restarts;
    volatile String lastError;
    /** Persistent only: whether the lease keeper still wants it running, and the fence (absolute, on the supervisor's ticker: {@link BootClock}). */
    volatile boolean wanted;
    volatile long fenceDeadlineNanos;
    volatile long runningSinceNanos;
    /** The work directory of the current start (its own, or its warm slot's); null before the first. */
    volatile java.nio.file.Path workDir;

    Execution(String id, String itemHash, boolean persistent, long epoch) {
        this.id = id;
        this.itemHash = itemHash;
        this.persistent = persistent;
        this.epoch = epoch;
    }

    public String id() {
        return id;
    }

    public String itemHash() {
        return itemHash;
    }

    public boolean persistent() {
        return persistent;
    }

    public long epoch() {
        return epoch;
    }

    public ExecutionState state() {
        return state;
    }

    public String reason() {
        return reason;
    }

    public PreparedProgram prepared() {
        return prepared;
    }

    public ProgramInfo program() {
        return program;
    }

    public int restarts() {
        return restarts;
    }

    public String lastError() {
        return lastError;
    }

    public Map<ExecutionState, Instant> times() {
        return Map.copyOf(times);
    }

    /** The port of the running program, or -1. */
    public int port() {
        WatchedProcess p = process;
        return p == null ? -1 : p.port();
    }

    /** The address the program is reached at (127.0.0.1, or its sandbox's IP), or null. */
    public String address() {
        WatchedProcess p = process;
        return p == null ? null : p.address();
    }

    public WatchedProcess process() {
        return process;
    }

    public boolean running() {
        WatchedProcess p = process;
        return state == ExecutionState.RUNNING && p != null && p.alive();
    }

    /** Feeds the watchdog the deadline {@code atBootNanos} ({@link BootClock}). False when nothing runs. */
    boolean renewLease(long atBootNanos) {
        WatchedProcess p = process;
        return p != null && p.renewUntil(atBootNanos);
    }

    @Override
    public String toString() {
        return "Execution[" + id + " " + itemHash + " " + state + (persistent ? " epoch " + epoch : "") + "]";
    }
}
