package org.aleph4j.crn.execution;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How programs are run: {@link ProcessExecutor} (plain child processes) or {@link SandboxExecutor}
 * (namespaces via bubblewrap, own network namespace). Both keep the out-of-JVM watchdog as the
 * program's parent, so lease fencing and the pipe-close kill work the same way.
 */
public sealed interface Executor permits ProcessExecutor, SandboxExecutor {

    /** What to run: the command (as the program sees its paths), its directory and environment, where its output goes, and its limits. */
    /**
     * What to run. {@code deadlineAtBootNanos}: when the watchdog kills the program unless renewed,
     * absolute on {@link BootClock} (null: no deadline, on demand).
     */
    record Spec(String executionId, List<String> command, Path workDir, Map<String, String> env, Path stdout,
                Path stderr, int port, int memoryMiB, int vcpus, Long deadlineAtBootNanos, Path codeDir, boolean internet,
                List<Mount> mounts) {
        public Spec {
            mounts = mounts == null ? List.of() : List.copyOf(mounts);
        }

        /** A spec without volumes. */
        public Spec(String executionId, List<String> command, Path workDir, Map<String, String> env, Path stdout,
                    Path stderr, int port, int memoryMiB, int vcpus, Long deadlineAtBootNanos, Path codeDir, boolean internet) {
            this(executionId, command, workDir, env, stdout, stderr, port, memoryMiB, vcpus, deadlineAtBootNanos, codeDir,
                    internet, List.of());
        }

        /** A spec without code directory and without internet, its deadline {@code initialDeadline} from now (tests, tools). */
        public Spec(String executionId, List<String> command, Path workDir, Map<String, String> env, Path stdout,
                    Path stderr, int port, int memoryMiB, int vcpus, Duration initialDeadline) {
            this(executionId, command, workDir, env, stdout, stderr, port, memoryMiB, vcpus,
                    initialDeadline == null ? null : BootClock.nanos() + initialDeadline.toNanos(), null, false);
        }
    }

    /**
     * The program's view of its world: where its code, data and temporary directories are, which
     * address it must listen on and the port (given in {@code PORT}).
     */
    record View(Path codeDir, Path workDir, Path tmpDir, String bindHost, int port) {}

    /**
     * A volume as the program sees it: {@code source} on the host (a directory, or a single file when
     * {@code file}) at {@code target} (an absolute path already checked), read-only or writable by the
     * program's user (the executor hands a writable tree to that user).
     */
    record Mount(Path source, String target, boolean readOnly, boolean file) {}

    /** Whether this executor can mount volumes at the program's paths. */
    default boolean mountsVolumes() {
        return false;
    }

    /** {@code process} or {@code sandbox}, as reported in /about. */
    String name();

    Cgroups cgroups();

    /** Chooses how the program sees its code directory and work directory, and its port. */
    View view(Path codeDir, Path workDir);

    /** Spawns the watchdog and the program; returns once the watchdog reported the program's pid. */
    WatchedProcess spawn(Spec spec);

    /** Whether the execution's memory cgroup recorded an out-of-memory kill. */
    default boolean oomKilled(String executionId) {
        return cgroups().oomKilled(executionId);
    }

    /** Releases what an execution held (cgroups, network); the program is dead or being killed. */
    void release(String executionId);

    /** Removes what a previous run of the node left behind (recorded under the data dir); returns how many. */
    int cleanLeftovers();

    /** Properties for /about. */
    Map<String, Object> describe();

    /** Whether the program accepts connections on its port within {@code timeout} (false when it exited first). */
    default boolean awaitReady(WatchedProcess p, Duration timeout) {
        return WatchedProcess.awaitListening(p, timeout);
    }

    /** SIGKILL to a whole process group (leftovers of a previous run, last resort). */
    default void killGroup(long pgid) {
        WatchedProcess.killGroup(pgid);
    }

    /** Undoes host-wide changes at node shutdown (after every execution was released). */
    default void close() {}
}
