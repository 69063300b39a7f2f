package org.aleph4j.scheduler;

import org.aleph4j.testkit.Postgres;
import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.Ticker;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.engine.NodeRows;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Two schedulers on one PostgreSQL: the standby serves reads, refuses grants, and takes over when the leader dies. */
class StandbyTakeoverTest {
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
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

    SchedulerNode start(String name) {
        return start(name, InstantSource.system());
    }

    /** A scheduler whose wall clock is {@code wallClock} (its monotonic clock is the system's). */
    SchedulerNode start(String name, InstantSource wallClock) {
        SchedulerNode node = new SchedulerNode(SchedulerConfig.defaults(dir.resolve(name), net.ccnUrl())
                .withJdbcUrl(PG + "&currentSchema=" + schema).withAllowedNodes(Set.of("*")).withLease(TTL, DRIFT)
                .withIntervals(BEAT, Duration.ofSeconds(1)), Ticker.system(), wallClock).start();
        toClose.add(node);
        return node;
    }

    @Test
    void aStandbyWhoseClockRunsAheadDoesNotTakeOverALiveLeaderWhoseClockRunsBehind() {
        // Ten minutes each way: compared on the schedulers' own clocks, the standby would see the row long expired.
        SchedulerNode leader = start("behind", InstantSource.offset(InstantSource.system(), Duration.ofMinutes(-10)));
        SchedulerNode standby = start("ahead", InstantSource.offset(InstantSource.system(), Duration.ofMinutes(10)));
        assertThat(leader.isLeader()).isTrue();
        Duration watched = TTL.multipliedBy(3);
        await().during(watched).atMost(watched.plusSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> leader.isLeader() && !standby.isLeader());
        assertThat(leader.incarnation()).isEqualTo(1L);

        leader.halt();
        await().atMost(TTL.plusSeconds(5)).until(() -> standby.isLeader() && standby.incarnation() == 2L);
        assertThat(new SchedulerClient(standby.url()).about().incarnation()).isEqualTo(2L);
    }

    @Test
    void theStandbyServesReadsRefusesHeartbeatsAndTakesOverOnlyAfterTheLeaderLeaseExpiredWithoutMovingAnything()
            throws Exception {
        SchedulerNode leader = start("one");
        SchedulerNode standby = start("two");
        assertThat(leader.isLeader()).isTrue();
        assertThat(standby.isLeader()).isFalse();
        FakeCrn crn = new FakeCrn(List.of(leader.url(), standby.url()), BEAT).start();
        toClose.add(crn);
        FakeCrn other = new FakeCrn(List.of(leader.url(), standby.url()), BEAT).start();
        toClose.add(other);
        String code = net.store(net.user(), SamplePrograms.HELLO_PY.getBytes(StandardCharsets.UTF_8), null);
        String program = net.program(net.programBuilder(code, "main.py", Encoding.PLAIN).persistent(true));
        await().atMost(Duration.ofSeconds(10)).until(() -> crn.holds(program) || other.holds(program));
        FakeCrn holder = crn.holds(program) ? crn : other;
        FakeCrn idle = holder == crn ? other : crn;

        // The standby answers the read API from the shared database, and refuses to grant.
        Allocation seenByStandby = new SchedulerClient(standby.url()).allocation(program).orElseThrow();
        assertThat(seenByStandby.node().nodeId()).isEqualTo(NodeRows.nodeHash(holder.address()));
        FakeCrn direct = new FakeCrn(List.of(standby.url()), BEAT);
        assertThatThrownBy(direct::beat).isInstanceOfSatisfying(SchedulerException.class, e -> {
            assertThat(e.httpStatus()).isEqualTo(503);
            assertThat(e.errorCode()).isEqualTo(20);
            assertThat(e.details().path("leader_url").asText()).isEqualTo(leader.url().toString());
        });

        long halted = System.nanoTime();
        leader.halt(); // dies without handing over: the standby must wait for the leader row to expire
        await().atMost(TTL.plusSeconds(5)).pollInterval(Duration.ofMillis(20)).until(standby::isLeader);
        long tookOver = System.nanoTime() - halted;
        assertThat(Duration.ofNanos(tookOver)).isGreaterThanOrEqualTo(TTL.minus(BEAT).minusMillis(300));

        // The holder keeps its program under the same epoch through the new leader; nothing moves.
        long until = System.nanoTime() + TTL.plus(DRIFT).multipliedBy(2).toNanos();
        await().atMost(Duration.ofSeconds(15)).until(() -> System.nanoTime() > until && holder.lastError == null);
        assertThat(holder.holds(program)).isTrue();
        assertThat(holder.grants.get(program).epoch()).isEqualTo(1L);
        assertThat(idle.holds(program)).isFalse();
        assertThat(new SchedulerClient(standby.url()).vm(program).orElseThrow().epoch()).isEqualTo(1L);

        // And the new leader does fail over when the holder dies.
        holder.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> idle.holds(program));
        assertThat(idle.grants.get(program).epoch()).isEqualTo(2L);
    }
}
