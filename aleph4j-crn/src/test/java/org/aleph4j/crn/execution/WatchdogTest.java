package org.aleph4j.crn.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The out-of-JVM watchdog alone: deadlines and the closed pipe kill the whole program group. */
class WatchdogTest {
    @TempDir
    Path dir;

    WatchedProcess spawn(Duration deadline) {
        ProcessExecutor ex = new ProcessExecutor(Path.of("/usr/bin/python3"), dir.resolve("run"), new Cgroups(dir.resolve("nocg"), "x"));
        // a program with a child of its own: the whole group must die, not only the leader
        return ex.spawn(new Executor.Spec("wd-" + System.nanoTime(), List.of("/bin/sh", "-c", "sleep 300 & sleep 300"), dir,
                Map.of("PATH", "/usr/bin:/bin"), dir.resolve("out.log"), dir.resolve("err.log"), 0, 64, 1, deadline));
    }

    static boolean groupGone(long pgid) {
        return ProcessHandle.allProcesses().noneMatch(p -> p.isAlive() && p.pid() == pgid)
                && ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .noneMatch(p -> p.parent().map(pp -> pp.pid() == pgid).orElse(false));
    }

    @Test
    void deadlinePassingWithoutRenewalKillsTheProgramGroup() {
        WatchedProcess p = spawn(Duration.ofMillis(700));
        try {
            assertThat(p.renew(Duration.ofMillis(700))).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> !p.alive());
            assertThat(p.exitCode()).isEqualTo(WatchedProcess.EXIT_LEASE_EXPIRED);
            await().atMost(Duration.ofSeconds(5)).until(() -> groupGone(p.programPgid()));
        } finally {
            p.kill();
        }
    }

    @Test
    void aDeadlineThatPassedBeforeTheWatchdogStartedKillsTheProgramAtOnce() {
        // absolute on CLOCK_BOOTTIME: time spent between computing the deadline and spawning counts
        ProcessExecutor ex = new ProcessExecutor(Path.of("/usr/bin/python3"), dir.resolve("run"), new Cgroups(dir.resolve("nocg"), "x"));
        WatchedProcess p = ex.spawn(new Executor.Spec("wd-past-" + System.nanoTime(), List.of("/bin/sh", "-c", "sleep 300"), dir,
                Map.of("PATH", "/usr/bin:/bin"), dir.resolve("out.log"), dir.resolve("err.log"), 0, 64, 1,
                BootClock.nanos() - Duration.ofSeconds(1).toNanos(), null, false));
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> !p.alive());
            assertThat(p.exitCode()).isEqualTo(WatchedProcess.EXIT_LEASE_EXPIRED);
            await().atMost(Duration.ofSeconds(5)).until(() -> groupGone(p.programPgid()));
        } finally {
            p.kill();
        }
    }

    @Test
    void anAbsoluteRenewalInThePastEndsTheProgramAndOneInTheFutureKeepsIt() throws Exception {
        WatchedProcess p = spawn(Duration.ofSeconds(30));
        try {
            assertThat(p.renewUntil(BootClock.nanos() + Duration.ofSeconds(30).toNanos())).isTrue();
            assertThat(p.watchdog().waitFor(300, java.util.concurrent.TimeUnit.MILLISECONDS)).isFalse();
            assertThat(p.renewUntil(BootClock.nanos() - Duration.ofMillis(1).toNanos())).isTrue();
            await().atMost(Duration.ofSeconds(5)).until(() -> !p.alive());
            assertThat(p.exitCode()).isEqualTo(WatchedProcess.EXIT_LEASE_EXPIRED);
        } finally {
            p.kill();
        }
    }

    @Test
    void renewalsKeepTheProgramAlive() throws Exception {
        WatchedProcess p = spawn(Duration.ofMillis(500));
        try {
            long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
            while (System.nanoTime() < end) {
                assertThat(p.renew(Duration.ofMillis(500))).isTrue();
                assertThat(p.watchdog().waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS)).isFalse();
            }
            assertThat(p.alive()).isTrue();
        } finally {
            p.kill();
        }
    }

    @Test
    void processesThatLeftTheGroupDieThroughTheCgroupWhenTheLeaseRunsOut() throws Exception {
        Cgroups real = new Cgroups(Path.of("/sys/fs/cgroup"), "aleph4j-wdtest-" + ProcessHandle.current().pid());
        org.junit.jupiter.api.Assumptions.assumeTrue(real.enforced() && HostFiles.isRoot(), "needs root and writable cgroups");
        ProcessExecutor ex = new ProcessExecutor(Path.of("/usr/bin/python3"), dir.resolve("run2"), real);
        String id = "wd-setsid-" + System.nanoTime();
        Path work = java.nio.file.Files.createDirectories(dir.resolve("work-" + id));
        // a daemon in its own session: killing the program's process group alone would miss it
        WatchedProcess p = ex.spawn(new Executor.Spec(id, List.of("/bin/sh", "-c", "setsid sleep 300 & exec sleep 300"), work,
                Map.of("PATH", "/usr/bin:/bin"), dir.resolve("out.log"), dir.resolve("err.log"), 0, 64, 1, Duration.ofMillis(1500)));
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> real.pids(id).size() >= 2);
            java.util.Set<Long> pids = real.pids(id);
            await().atMost(Duration.ofSeconds(10)).until(() -> !p.alive());
            assertThat(p.exitCode()).isEqualTo(WatchedProcess.EXIT_LEASE_EXPIRED);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(pids).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                            .as("process " + pid + " of the execution").isFalse()));
            assertThat(real.pids(id)).isEmpty();
        } finally {
            p.kill();
            ex.release(id);
        }
    }

    @Test
    void closingTheWatchdogsStdinKillsTheProgramAsWhenTheCrnDies() throws Exception {
        WatchedProcess p = spawn(null);
        try {
            p.watchdog().getOutputStream().close();
            await().atMost(Duration.ofSeconds(10)).until(() -> !p.alive());
            assertThat(p.exitCode()).isEqualTo(WatchedProcess.EXIT_PIPE_CLOSED);
            await().atMost(Duration.ofSeconds(5)).until(() -> groupGone(p.programPgid()));
        } finally {
            p.kill();
        }
    }
}
