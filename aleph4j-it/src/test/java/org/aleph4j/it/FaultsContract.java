package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once under faults, from outside: a CCN and two schedulers (leader and standby on
 * PostgreSQL) on the host, three CRNs each in its own network namespace, and the probe program
 * uploaded with the CLI as a persistent program. Each fault is injected into the node holding the
 * program {@code aleph4j.faults.runs} times (once by default, what the test command runs; {@code scripts/bench.sh
 * faults} runs more for the figures); every run asserts, from the probe's own
 * records (one span per copy, by boot id, not merged per epoch), that no two copies ran at once,
 * that the program moved within a bound, and that after healing exactly one node runs it. The
 * figures (failover, how long the old copy ran after the fault) go to
 * {@code target/fault-figures/<executor>-<profile>.tsv}, which {@code scripts/bench.sh faults}
 * turns into {@code docs/reliability.md}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FaultsContract {
    static final int RUNS = Integer.getInteger("aleph4j.faults.runs", 1);
    static final FaultLab.Profile PROFILE = FaultLab.Profile.named(System.getProperty("aleph4j.faults.profile", "fast"));
    /** From the fault to the first record of the new copy; generous: the figures, not this bound, are the benchmark. */
    static final Duration FAILOVER_BOUND = PROFILE.leaseTtl().plus(PROFILE.drift()).multipliedBy(3).plusSeconds(10);
    /**
     * What the watchdog cannot fence: when the whole node (JVM, watchdog and program) is frozen past
     * the lease and thawed, the program may run until its watchdog's first check (docs/scheduler.md).
     */
    static final double WHOLE_NODE_FREEZE_BOUND_S = 0.25;

    @TempDir static Path tmp;
    FaultLab lab;
    String hash;
    Path figures;

    abstract String executor();

    @BeforeAll
    void startLab() throws Exception {
        lab = new FaultLab(tmp, executor(), PROFILE, 3);
        lab.start();
        Path code = Files.createDirectories(tmp.resolve("work/probe"));
        for (String f : List.of("run.sh", "probe.py")) {
            try (var in = getClass().getResourceAsStream("/probe/" + f)) {
                Files.write(code.resolve(f), in.readAllBytes());
            }
        }
        code.resolve("run.sh").toFile().setExecutable(true);
        Cli.Result upload = lab.cli.runArgs("program", "upload", "--persistent", "./probe/", "run.sh");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        hash = upload.firstHash();
        figures = Files.createDirectories(Path.of("target/fault-figures")).resolve(executor() + "-" + PROFILE.name() + ".tsv");
        Files.writeString(figures, "fault\trun\tfailover_s\told_ran_after_fault_s\toverlap_s\n");
        awaitServing();
    }

    @AfterAll
    void stopLab() {
        if (lab != null) lab.close();
    }

    // ---------------------------------------------------------------- the faults

    /** The figures are only this executor's if every node of the lab really runs it. */
    @Test
    @Order(0)
    void everyNodeOfTheLabRunsTheExecutorUnderTest() {
        for (FaultLab.Crn c : lab.crns) {
            Http.Response about = Http.get(c.url() + "/about");
            assertThat(about.status()).as("%s /about", c.url()).isEqualTo(200);
            assertThat(about.json().path("executor").asText()).as("%s executor", c.url()).isEqualTo(executor());
            assertThat(about.json().path("executor_isolated").asBoolean()).isEqualTo(executor().equals("sandbox"));
        }
    }

    @Test
    @Order(1)
    void killNineOfTheHoldingCrn() throws Exception {
        repeat("kill -9 of the holding CRN", (c, run) -> {
            lab.signal(c.process.pid(), "KILL");
            return () -> {
                c.start();
                c.awaitReady();
            };
        }, 0);
    }

    @Test
    @Order(2)
    void sigstopOfTheHoldingCrnsJvmBeyondTheLease() throws Exception {
        repeat("SIGSTOP of the CRN's JVM", (c, run) -> {
            lab.signal(c.process.pid(), "STOP");
            return () -> lab.signal(c.process.pid(), "CONT");
        }, 0);
    }

    @Test
    @Order(3)
    void sigstopOfTheWholeNodeTree() throws Exception {
        repeat("SIGSTOP of the whole node (JVM, watchdog, program)", (c, run) -> {
            List<Long> tree = c.tree();
            for (Long p : tree) lab.signal(p, "STOP");
            return () -> {
                for (Long p : tree) ProcessHandle.of(p).ifPresent(h -> signalQuietly(p, "CONT"));
            };
        }, WHOLE_NODE_FREEZE_BOUND_S);
    }

    @Test
    @Order(4)
    void linkDownPartitionThenHeal() throws Exception {
        repeat("link down (the node's side)", (c, run) -> {
            lab.linkDown(c);
            return () -> lab.linkUp(c);
        }, 0);
    }

    @Test
    @Order(5)
    void blackholePartitionThenHeal() throws Exception {
        repeat("black hole (all frames dropped)", (c, run) -> {
            lab.blackhole(c);
            return lab::heal;
        }, 0);
    }

    @Test
    @Order(6)
    void killNineOfTheLeaderSchedulerDuringAFailoverHandsOverToTheStandby() throws Exception {
        lab.startScheduler(1);
        lab.schedulers[1].awaitLog("aleph4j scheduler ready", Duration.ofSeconds(120));
        repeat("kill -9 of the holding CRN, then of the leader scheduler (standby takes over)", (c, run) -> {
            lab.signal(c.process.pid(), "KILL");
            int leader = leaderIndex();
            awaitSeconds(0.3);
            lab.signal(lab.schedulers[leader].pid(), "KILL");
            return () -> {
                lab.startScheduler(leader);
                lab.schedulers[leader].awaitLog("aleph4j scheduler ready", Duration.ofSeconds(120));
                c.start();
                c.awaitReady();
            };
        }, 0);
    }

    @Test
    @Order(7)
    void placementTablesLockedLongerThanTheLeaseStopNoProgram() throws Exception {
        for (int run = 1; run <= RUNS; run++) {
            int holder = awaitServing();
            ProbeRecords.Span before = lab.records(hash).runningAt(now() - 0.2).orElseThrow();
            double t0 = now();
            lab.stallDatabase(FaultLab.PLACEMENT_TABLES, PROFILE.leaseTtl().plus(PROFILE.drift()).multipliedBy(2));
            double healed = now();
            await("the same copy keeps recording after the stall").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                    .until(() -> lab.records(hash).spans().stream().anyMatch(s -> s.boot().equals(before.boot()) && s.last() > healed + 1));
            ProbeRecords r = lab.records(hash);
            assertThat(r.spans()).as("copies started since the stall:\n%s", r).filteredOn(s -> s.first() > t0).isEmpty();
            assertThat(lab.holder(hash)).isEqualTo(holder);
            figure("placement tables locked for 2 x (lease + drift)", run, Double.NaN, Double.NaN, 0);
        }
        assertStatusShows(lab.holder(hash));
    }

    @Test
    @Order(8)
    void theWholeDatabaseStalledLongerThanTheLeaseFencesButNeverDoubles() throws Exception {
        for (int run = 1; run <= RUNS; run++) {
            awaitServing();
            double t0 = now();
            // the leader row too: the leader cannot be sure of its term, stops granting, and the CRNs fence
            lab.stallDatabase(FaultLab.PLACEMENT_TABLES + ", sched_leader", PROFILE.leaseTtl().plus(PROFILE.drift()).multipliedBy(2));
            int after = awaitServing();
            awaitSeconds(PROFILE.leaseTtl().plus(PROFILE.drift()).toMillis() / 1000.0 + 1);
            ProbeRecords r = lab.records(hash);
            assertThat(r.overlaps(t0 - 1)).as("overlapping copies:\n%s", r).isEmpty();
            assertThat(lab.runningOn(hash)).containsExactly(after);
            double restarted = r.firstStartedAfter(t0).map(s -> s.first() - t0).orElse(Double.NaN);
            figure("whole scheduler database locked for 2 x (lease + drift)", run, restarted, Double.NaN, 0);
        }
        assertStatusShows(lab.holder(hash));
    }

    @Test
    @Order(9)
    void aNodeCutOffWhilePreparingASlowDownloadNeverStartsItsStaleCopy() throws Exception {
        for (int run = 1; run <= RUNS; run++) {
            // a new program each run, with 2 MiB that cannot be compressed: no node has its code yet
            Path code = Files.createDirectories(tmp.resolve("work/slow-" + run));
            for (String f : List.of("run.sh", "probe.py")) {
                Files.copy(tmp.resolve("work/probe").resolve(f), code.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            byte[] ballast = new byte[2 << 20];
            new java.security.SecureRandom().nextBytes(ballast);
            Files.write(code.resolve("ballast.bin"), ballast);
            Cli.Result up = lab.cli.runArgs("program", "upload", "--persistent", "./slow-" + run + "/", "run.sh");
            assertThat(up.exit()).as(up.toString()).isZero();
            String slow = up.firstHash();
            int a = awaitServing(slow);
            lab.ccnRelay.throttle(64 * 1024); // 2 MiB: about 30 s, far past a lease
            double t0 = now();
            FaultLab.Crn holder = lab.crns.get(a);
            lab.signal(holder.process.pid(), "KILL");
            int[] b = {-1};
            await("the program allocated to another node, which downloads its code").atMost(FAILOVER_BOUND)
                    .pollInterval(Duration.ofMillis(50)).until(() -> {
                        b[0] = lab.holder(slow);
                        return b[0] >= 0 && b[0] != a && "PREPARING".equals(lab.executionState(lab.crns.get(b[0]), slow));
                    });
            FaultLab.Crn preparing = lab.crns.get(b[0]);
            lab.blackhole(preparing);
            lab.ccnRelay.throttle(0);
            try {
                await("a copy on the third node").atMost(FAILOVER_BOUND.plusSeconds(10)).pollInterval(Duration.ofMillis(100))
                        .until(() -> lab.records(slow).firstStartedAfter(t0).isPresent());
            } finally {
                lab.heal();
                holder.start();
                holder.awaitReady();
            }
            ProbeRecords.Span next = lab.records(slow).firstStartedAfter(t0).orElseThrow();
            assertThat(next.node()).as("the node cut off while preparing").isNotEqualTo(preparing.index);
            // healed, the cut-off node finishes its download at full speed: it must not start its stale epoch
            awaitSeconds(PROFILE.leaseTtl().plus(PROFILE.drift()).toMillis() / 1000.0 + 3);
            ProbeRecords r = lab.records(slow);
            assertThat(r.spans()).as("copies of the slow program:\n%s", r).filteredOn(s -> s.node() == preparing.index).isEmpty();
            assertThat(r.overlaps(0)).as("overlapping copies:\n%s", r).isEmpty();
            assertThat(lab.runningOn(slow)).containsExactly(next.node());
            figure("cut off while preparing a slow download", run, next.first() - t0, Double.NaN, 0);
            if (run == RUNS) assertStatusShows(slow, next.node());
            Cli.Result stop = lab.cli.runArgs("unpersist", slow);
            assertThat(stop.exit()).as(stop.toString()).isZero();
        }
    }

    @Test
    @Order(10)
    void aFullDataDiskFailsTheStartThereAndTheProgramRunsOnAnotherNode() throws Exception {
        int holder = awaitServing();
        List<FaultLab.Crn> others = lab.crns.stream().filter(c -> c.index != holder).toList();
        for (int run = 1; run <= RUNS; run++) {
            FaultLab.Crn full = others.get(run % 2);
            FaultLab.Crn spare = others.get((run + 1) % 2);
            lab.fillDisk(full);
            // the spare node out of reach, so the scheduler can only choose the full one at first
            lab.blackhole(spare);
            awaitSeconds(PROFILE.leaseTtl().plus(PROFILE.drift()).toMillis() / 1000.0 + 0.5);
            byte[] ballast = new byte[64 * 1024];
            new java.security.SecureRandom().nextBytes(ballast);
            double t0 = now();
            String pinned = lab.pinnedProbe(tmp.resolve("work/probe"), ballast, List.of(full, spare));
            try {
                await("the start on the full node fails and the program is taken from it").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100)).until(() -> full.process.logText().contains(pinned)
                                && lab.holder(pinned) != full.index);
            } finally {
                lab.heal();
            }
            await("the program runs on the spare node").atMost(FAILOVER_BOUND.plusSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> lab.records(pinned).firstStartedAfter(t0).isPresent());
            ProbeRecords.Span next = lab.records(pinned).firstStartedAfter(t0).orElseThrow();
            assertThat(next.node()).isEqualTo(spare.index);
            awaitSeconds(PROFILE.leaseTtl().plus(PROFILE.drift()).toMillis() / 1000.0 + 1);
            // the full node's own logs cannot be written: ask it what it runs rather than read its records
            assertThat(lab.runningOn(pinned)).containsExactly(spare.index);
            assertThat(lab.records(pinned).overlaps(0)).isEmpty();
            assertThat(lab.holder(hash)).as("the program already running is not disturbed").isEqualTo(holder);
            lab.freeDisk(full);
            figure("data disk full during start", run, next.first() - t0, Double.NaN, 0);
            if (run == RUNS) assertStatusShows(pinned, spare.index);
            Cli.Result stop = lab.cli.runArgs("unpersist", pinned);
            assertThat(stop.exit()).as(stop.toString()).isZero();
        }
    }

    // ---------------------------------------------------------------- one fault, several runs

    interface Injection {
        /** Injects the fault into {@code c}; returns how to heal it. */
        Heal inject(FaultLab.Crn c, int run) throws Exception;
    }

    interface Heal {
        void heal() throws Exception;
    }

    private void repeat(String fault, Injection injection, double allowedOverlapS) throws Exception {
        int last = -1;
        for (int run = 1; run <= RUNS; run++) last = failover(fault, run, injection, allowedOverlapS);
        assertStatusShows(last);
    }

    private int failover(String fault, int run, Injection injection, double allowedOverlapS) throws Exception {
        int holder = awaitServing();
        ProbeRecords.Span old = lab.records(hash).runningAt(now() - 0.2).orElseThrow();
        FaultLab.Crn c = lab.crns.get(holder);
        double t0 = now();
        Heal heal = injection.inject(c, run);
        ProbeRecords.Span next;
        int to;
        try {
            await(fault + ": a copy on another node").atMost(FAILOVER_BOUND).pollInterval(Duration.ofMillis(100))
                    .until(() -> lab.records(hash).firstStartedAfter(t0).filter(s -> s.node() != holder).isPresent());
            next = lab.records(hash).firstStartedAfter(t0).orElseThrow();
            to = next.node();
        } finally {
            heal.heal();
        }
        // healed: the old node must not run the program again, and exactly one node runs it
        await(fault + ": exactly one node runs the program after healing").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).until(() -> lab.runningOn(hash).equals(List.of(to)));
        double settled = now();
        awaitSeconds(PROFILE.leaseTtl().plus(PROFILE.drift()).toMillis() / 1000.0 + 1);
        assertThat(lab.runningOn(hash)).as(fault + ": running after healing").containsExactly(to);
        ProbeRecords r = lab.records(hash);
        ProbeRecords.Span oldNow = r.spans().stream().filter(s -> s.boot().equals(old.boot())).findFirst().orElseThrow();
        assertThat(oldNow.last()).as(fault + ": the old copy is dead:\n%s", r).isLessThan(settled);
        double overlap = 0;
        for (ProbeRecords.Overlap o : r.overlaps(t0 - 1)) {
            overlap = Math.max(overlap, o.seconds());
            assertThat(o.seconds()).as("%s, run %d: %s and %s ran at once (%.3f s); all copies:\n%s", fault, run, o.earlier(),
                    o.later(), o.seconds(), r).isLessThanOrEqualTo(allowedOverlapS);
        }
        if (allowedOverlapS == 0) assertThat(r.overlaps(t0 - 1)).as("%s, run %d: overlapping copies:\n%s", fault, run, r).isEmpty();
        figure(fault, run, next.first() - t0, oldNow.last() - t0, overlap);
        return to;
    }

    // ---------------------------------------------------------------- helpers

    private int awaitServing() {
        return awaitServing(hash);
    }

    /** Waits until a copy of {@code hash} is recording now and the scheduler names its node; returns that node. */
    private int awaitServing(String hash) {
        int[] holder = {-1};
        try {
            await("the program runs and records").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
                holder[0] = lab.holder(hash);
                if (holder[0] < 0) return false;
                var s = lab.records(hash).runningAt(now() - 0.2);
                return s.isPresent() && s.get().node() == holder[0] && lab.runningOn(hash).equals(List.of(holder[0]));
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the program does not run: holder " + holder[0] + ", running on " + lab.runningOn(hash)
                    + "\n" + lab.describe(hash), e);
        }
        return holder[0];
    }

    private int leaderIndex() {
        for (int k = 0; k < 2; k++) {
            if (lab.schedulers[k] == null || !lab.schedulers[k].isAlive()) continue;
            // a standby answers the read API too: ask who leads
            Http.Response r = Http.get(lab.schedulerUrls().get(k) + "/api/v1/about");
            if (r.status() == 200 && r.json().path("leading").asBoolean()) return k;
        }
        throw new AssertionError("no scheduler says it leads");
    }

    /** {@code aleph program status} names the node that runs the program (asked of the current leader). */
    private void assertStatusShows(int holder) throws Exception {
        assertStatusShows(hash, holder);
    }

    private void assertStatusShows(String program, int holder) throws Exception {
        Map<String, String> env = new HashMap<>(lab.env);
        env.put("ALEPH_SCHEDULER_URL", lab.schedulerUrls().get(leaderIndexOrFirst()));
        Cli.Result status = new Cli(tmp.resolve("work"), env).runArgs("program", "status", program);
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).as(status.toString()).contains("URL:       " + lab.crns.get(holder).url() + "/vm/" + program);
        assertThat(status.out()).contains("History:");
    }

    private int leaderIndexOrFirst() {
        try {
            return leaderIndex();
        } catch (AssertionError e) {
            return 0;
        }
    }

    private void figure(String fault, int run, double failover, double oldRan, double overlap) throws IOException {
        String line = String.format(Locale.ROOT, "%s\t%d\t%.3f\t%.3f\t%.3f%n", fault, run, failover, oldRan, overlap);
        System.out.print("[faults " + executor() + "/" + PROFILE.name() + "] " + line);
        Files.writeString(figures, line, StandardOpenOption.APPEND);
    }

    private void signalQuietly(long pid, String sig) {
        try {
            lab.signal(pid, sig);
        } catch (Exception | AssertionError ignored) {
            // exited meanwhile
        }
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** Lets a fixed observation window pass (a bound, not a wait for a condition). */
    static void awaitSeconds(double s) {
        long until = System.nanoTime() + (long) (s * 1e9);
        await().atMost(Duration.ofMillis((long) (s * 1000) + 5000)).pollInterval(Duration.ofMillis(100))
                .until(() -> System.nanoTime() >= until);
    }
}
