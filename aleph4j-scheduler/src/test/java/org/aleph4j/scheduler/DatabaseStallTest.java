package org.aleph4j.scheduler;

import org.aleph4j.testkit.Postgres;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.aleph4j.client.scheduler.SchedulerException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A scheduler on PostgreSQL whose tables another session locks, for longer than a lease: renewals of
 * the leases held go on over real HTTP (signed heartbeats) while placement waits; and when the leader
 * row itself cannot be renewed, renewals stop before that row could expire.
 */
class DatabaseStallTest {
    static final String PG = StandbyTakeoverTest.PG;
    static final Duration TTL = Duration.ofMillis(1500);
    static final Duration DRIFT = Duration.ofMillis(500);
    static final Duration BEAT = Duration.ofMillis(200);

    @TempDir
    Path dir;
    String schema = "sched_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    TestNetwork net;
    final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Postgres.require();
        net = TestNetwork.builder(dir).fundedUser(1_000_000).start();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
        if (net != null) net.close();
        try (Connection c = DriverManager.getConnection(PG)) {
            c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    SchedulerNode start() {
        SchedulerNode node = new SchedulerNode(SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl())
                .withJdbcUrl(PG + "&currentSchema=" + schema).withAllowedNodes(Set.of("*")).withLease(TTL, DRIFT)
                .withIntervals(BEAT, Duration.ofSeconds(1))).start();
        toClose.add(node);
        return node;
    }

    /** Another session that holds {@code tables} locked (no reads, no writes) until it is closed. */
    Connection lock(String tables) throws Exception {
        Connection c = DriverManager.getConnection(PG + "&currentSchema=" + schema);
        c.setAutoCommit(false);
        c.createStatement().execute("LOCK TABLE " + tables + " IN ACCESS EXCLUSIVE MODE");
        return c;
    }

    /** True while the node holds {@code program} under a lease that has not run out (counted from its send time). */
    static boolean holdsAValidLease(FakeCrn crn, String program) {
        Long sent = crn.lastSentNanos.get(program);
        return crn.holds(program) && sent != null && System.nanoTime() - sent < TTL.toNanos();
    }

    @Test
    void heartbeatsKeepRenewingTheLeasesHeldWhilePlacementWaitsOnALockedDatabase() throws Exception {
        SchedulerNode s = start();
        FakeCrn crn = new FakeCrn(List.of(s.url()), BEAT).start();
        toClose.add(crn);
        String held = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> crn.holds(held));

        String posted;
        try (Connection stall = lock("sched_nodes, sched_programs, sched_allocations, sched_history")) {
            // Every table the placement cycle and the heartbeats' rows use: nothing reads or writes them now.
            posted = persistentProgram();
            Duration stalled = TTL.plus(DRIFT).multipliedBy(2);
            await().during(stalled).atMost(stalled.plusSeconds(5)).pollInterval(Duration.ofMillis(25))
                    .until(() -> crn.lastError == null && holdsAValidLease(crn, held) && !crn.holds(posted));
            assertThat(crn.grants.get(held).epoch()).isEqualTo(1L);
            assertThat(crn.lastSigner).isEqualTo(s.address().toLowerCase());
            assertThat(s.isLeader()).isTrue();
            stall.rollback();
        }
        // Placement resumes: the program posted during the stall is placed, and nothing moved.
        await().atMost(Duration.ofSeconds(10)).until(() -> crn.holds(posted));
        assertThat(crn.grants.get(held).epoch()).isEqualTo(1L);
        assertThat(crn.grants.get(posted).epoch()).isEqualTo(1L);
    }

    @Test
    void aLeaderThatCannotRenewItsOwnRowStopsRenewingLeasesBeforeTheRowCouldExpire() throws Exception {
        SchedulerNode s = start();
        FakeCrn crn = new FakeCrn(List.of(s.url()), BEAT).start();
        toClose.add(crn);
        String held = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> crn.holds(held));

        try (Connection stall = lock("sched_leader")) {
            long locked = System.nanoTime();
            await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(10)).until(() ->
                    crn.lastError instanceof SchedulerException e && e.httpStatus() == 503 && e.errorCode() == 20);
            long lastGrantSent = crn.lastSentNanos.get(held);
            // The row was last renewed before the lock, with an expiry of one TTL: no grant after that.
            assertThat(Duration.ofNanos(lastGrantSent - locked)).isLessThan(TTL);
            assertThat(s.isLeader()).isFalse();
            stall.rollback();
        }
        // The row is free again: the same scheduler leads a new incarnation and keeps the program where it was.
        await().atMost(Duration.ofSeconds(10)).until(() -> crn.lastError == null && crn.incarnation == 2 && crn.holds(held));
        assertThat(crn.grants.get(held).epoch()).isEqualTo(1L);
    }

    /** A persistent PROGRAM of the user running a one-line Python script. */
    String persistentProgram() throws Exception {
        String code = net.store(net.user(), SamplePrograms.HELLO_PY.getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        return net.program(net.programBuilder(code, "main.py", org.aleph4j.message.content.Encoding.PLAIN).persistent(true)
                .time(TestNetwork.now()));
    }
}
