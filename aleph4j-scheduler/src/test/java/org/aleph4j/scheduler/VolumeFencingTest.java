package org.aleph4j.scheduler;

import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.MigrateReply;
import org.aleph4j.client.scheduler.RestorePlan;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.client.scheduler.VolumeInfo;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.KeySeal;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Volume;
import org.aleph4j.message.content.VolumeIds;
import org.aleph4j.scheduler.engine.SchedulerError;
import org.aleph4j.scheduler.engine.VolumeService;
import org.aleph4j.testkit.Postgres;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A volume's history as the scheduler keeps it, attacked from outside over real HTTP with real
 * signatures: only the current lease holder gets the volume's key (sealed to its own key) and may add
 * snapshots, each extending the head; a fenced holder's late snapshot is refused and never reaches the
 * next holder's restore plan; only the owner can ask a migration, which the holder sees as a drain.
 */
class VolumeFencingTest {
    static final Duration TTL = Duration.ofMillis(1500);
    static final Duration BEAT = Duration.ofMillis(200);
    static final String PART = "ab".repeat(32);

    @TempDir
    Path dir;
    TestNetwork net;
    String schema;
    final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
        if (net != null) net.close();
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(Postgres.URL)) {
                c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void onlyTheHolderUnderTheCurrentEpochGetsTheKeyAndExtendsTheHistory(String backend) throws Exception {
        String jdbcUrl = null;
        if (backend.equals("postgresql")) {
            Postgres.require();
            schema = "vol_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            jdbcUrl = Postgres.URL + "&currentSchema=" + schema;
        }
        net = TestNetwork.builder(dir).fundedUser(1_000_000).start();
        SchedulerNode s = new SchedulerNode(SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl())
                .withJdbcUrl(jdbcUrl).withAllowedNodes(Set.of("*")).withLease(TTL, Duration.ofMillis(500))
                .withIntervals(BEAT, Duration.ofSeconds(1))).start();
        toClose.add(s);
        FakeCrn a = crn(s);
        String program = programWithVolume(net.user());
        await().atMost(Duration.ofSeconds(15)).until(() -> a.holds(program));
        FakeCrn b = crn(s); // started after the placement: the program is on a
        long epoch1 = a.grants.get(program).epoch();
        String volumeId = VolumeIds.of(net.user().address(), new Volume.Persistent(null, "/data", null, "host", "data", 16));

        // The holder's plan: the volume, no snapshot yet, a key only its own key opens.
        SchedulerClient.Signed<RestorePlan> signed = a.client.restorePlan(a.key, program, epoch1);
        assertThat(signed.signer()).as("signed by the scheduler").isEqualTo(s.address().toLowerCase());
        RestorePlan plan = signed.value();
        assertThat(plan.volumes()).hasSize(1);
        assertThat(plan.volumes().getFirst().volumeId()).isEqualTo(volumeId);
        assertThat(plan.volumes().getFirst().chain()).isEmpty();
        byte[] key = KeySeal.open(plan.volumes().getFirst().key(), a.key, VolumeService.KEY_CONTEXT + volumeId);
        assertThat(key).hasSize(32);
        assertThatThrownBy(() -> KeySeal.open(plan.volumes().getFirst().key(), b.key, VolumeService.KEY_CONTEXT + volumeId))
                .as("another node cannot open a key it sees").isInstanceOf(IllegalArgumentException.class);
        // Another node asking is refused, and so is the holder naming another epoch.
        assertRefused(() -> b.client.restorePlan(b.key, program, epoch1), SchedulerError.FENCED);
        assertRefused(() -> a.client.restorePlan(a.key, program, epoch1 + 1), SchedulerError.FENCED);

        // History: only successors of the head, from the holder under its epoch.
        assertThat(a.client.reportSnapshot(a.key, program, epoch1, volumeId, 1, null, true, 1000, List.of(PART)).accepted()).isTrue();
        assertThat(a.client.reportSnapshot(a.key, program, epoch1, volumeId, 1, null, true, 1000, List.of(PART)).accepted())
                .as("the same report again, its answer lost").isTrue();
        assertRefused(() -> a.client.reportSnapshot(a.key, program, epoch1, volumeId, 1, null, true, 1000, List.of("cd".repeat(32))),
                SchedulerError.NOT_HEAD);
        assertRefused(() -> a.client.reportSnapshot(a.key, program, epoch1, volumeId, 3, 2L, false, 10, List.of(PART)),
                SchedulerError.NOT_HEAD);
        assertRefused(() -> a.client.reportSnapshot(a.key, program, epoch1, volumeId, 2, 7L, false, 10, List.of(PART)),
                SchedulerError.NOT_HEAD);
        assertRefused(() -> b.client.reportSnapshot(b.key, program, epoch1, volumeId, 2, 1L, false, 10, List.of(PART)),
                SchedulerError.FENCED);
        assertRefused(() -> a.client.reportSnapshot(a.key, program, epoch1, "cd".repeat(32), 2, 1L, false, 10, List.of(PART)),
                SchedulerError.INVALID_FORMAT);
        assertRefused(() -> a.client.reportSnapshot(a.key, program, epoch1, volumeId, 2, 1L, false, 10, List.of("../etc")),
                SchedulerError.INVALID_FORMAT);
        assertThat(a.client.reportSnapshot(a.key, program, epoch1, volumeId, 2, 1L, false, 200, List.of(PART)).accepted()).isTrue();

        // The holder falls silent: the program moves to b under a new epoch; a's late snapshot is refused.
        a.stop();
        await().atMost(Duration.ofSeconds(15)).until(() -> b.holds(program));
        long epoch2 = b.grants.get(program).epoch();
        assertThat(epoch2).isGreaterThan(epoch1);
        assertRefused(() -> a.client.reportSnapshot(a.key, program, epoch1, volumeId, 3, 2L, false, 10, List.of(PART)),
                SchedulerError.FENCED);
        RestorePlan next = b.client.restorePlan(b.key, program, epoch2).value();
        assertThat(next.volumes().getFirst().chain()).extracting(r -> r.seq()).containsExactly(1L, 2L);
        assertThat(KeySeal.open(next.volumes().getFirst().key(), b.key, VolumeService.KEY_CONTEXT + volumeId))
                .as("the same volume key, sealed to the new holder").isEqualTo(key);

        VmInfo vm = new SchedulerClient(s.url()).vm(program).orElseThrow();
        VolumeInfo volume = vm.volumes().getFirst();
        assertThat(volume.lastSnapshot().seq()).isEqualTo(2L);
        assertThat(volume.lastSnapshot().epoch()).isEqualTo(epoch1);
        assertThat(volume.restores()).extracting(VolumeInfo.RestoreRecord::epoch).containsExactly(epoch1, epoch2);
        assertThat(volume.restores()).extracting(VolumeInfo.RestoreRecord::seq).containsExactly(null, 2L);

        // Another account naming its volume the same gets another volume (and another key).
        EthAccount other = TestNetwork.newAccount();
        net.fund(other.address(), 1_000_000);
        assertThat(VolumeIds.of(other.address(), new Volume.Persistent(null, "/data", null, "host", "data", 16)))
                .isNotEqualTo(volumeId);

        // Migration: only the owner may ask; the holder is told to drain; its release moves the program.
        a.start();
        a.beat(); // active again before a migration names it
        SchedulerClient owners = new SchedulerClient(s.url());
        assertRefused(() -> owners.migrate(other, program, null), SchedulerError.NOT_OWNER);
        assertRefused(() -> owners.migrate(net.user(), program, b.address()), SchedulerError.INVALID_FORMAT);
        MigrateReply reply = owners.migrate(net.user(), program, a.address());
        assertThat(reply.status()).isEqualTo("migrating");
        assertRefused(() -> owners.migrate(net.user(), program, null), SchedulerError.CONFLICT);
        assertThat(owners.vm(program).orElseThrow().schedulingStatus()).isEqualTo("migrating");
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            LeaseGrant g = b.grants.get(program);
            return g != null && g.drain();
        });
        b.client.release(b.key, program, epoch2, "migrating");
        await().atMost(Duration.ofSeconds(15)).until(() -> a.holds(program));
        VmInfo moved = owners.vm(program).orElseThrow();
        assertThat(moved.schedulingStatus()).isEqualTo("scheduled");
        assertThat(moved.nodeAddress()).isEqualTo(a.address());
        assertThat(a.grants.get(program).drain()).isFalse();

        // Unpersisted (here forgotten), its last holder may still send the final snapshot of what it wrote...
        long epoch3 = a.grants.get(program).epoch();
        assertThat(a.client.restorePlan(a.key, program, epoch3).value().volumes().getFirst().chain()).hasSize(2);
        net.forget(net.user(), program);
        await().atMost(Duration.ofSeconds(15)).until(() -> !a.holds(program));
        assertThat(a.client.reportSnapshot(a.key, program, epoch3, volumeId, 3, 2L, false, 10, List.of(PART)).accepted())
                .as("the removed program's last holder, final snapshot").isTrue();
        assertRefused(() -> b.client.reportSnapshot(b.key, program, epoch3, volumeId, 4, 3L, false, 10, List.of(PART)),
                SchedulerError.FENCED);
        // ...until another program restores the volume: then that program is its only user
        String successor = programWithVolume(net.user());
        FakeCrn[] holder = {null};
        await().atMost(Duration.ofSeconds(15)).until(() -> {
            holder[0] = a.holds(successor) ? a : b.holds(successor) ? b : null;
            return holder[0] != null;
        });
        RestorePlan nextPlan = holder[0].client.restorePlan(holder[0].key, successor, holder[0].grants.get(successor).epoch())
                .value();
        assertThat(nextPlan.volumes().getFirst().chain()).extracting(r -> r.seq()).containsExactly(1L, 2L, 3L);
        assertRefused(() -> a.client.reportSnapshot(a.key, program, epoch3, volumeId, 4, 3L, false, 10, List.of(PART)),
                SchedulerError.FENCED);
    }

    private FakeCrn crn(SchedulerNode s) {
        FakeCrn c = new FakeCrn(List.of(s.url()), BEAT);
        c.executor = new ExecutorInfo("sandbox", true, true);
        toClose.add(c);
        return c.start();
    }

    private String programWithVolume(EthAccount owner) throws Exception {
        String code = net.store(owner, SamplePrograms.HELLO_PY.getBytes(StandardCharsets.UTF_8), null);
        return net.program(net.programBuilder(code, "main.py", Encoding.PLAIN).persistent(true)
                .volume(new Volume.Persistent(null, "/data", null, "host", "data", 16)).time(TestNetwork.now()));
    }

    private static void assertRefused(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, int errorCode) {
        assertThatThrownBy(call).isInstanceOfSatisfying(SchedulerException.class,
                e -> assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(errorCode));
    }
}
