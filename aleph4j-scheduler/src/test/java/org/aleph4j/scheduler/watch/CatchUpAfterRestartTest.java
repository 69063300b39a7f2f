package org.aleph4j.scheduler.watch;

import org.aleph4j.testkit.Postgres;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.scheduler.SchedulerConfig;
import org.aleph4j.scheduler.SchedulerNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scheduler's catch-up after a restart does not trust the senders' clocks: a processed PROGRAM dated far in the
 * future must not hide the PROGRAMs the CCN processed while the scheduler was down. A real CcnNode, real schedulers
 * on their store (SQLite, or PostgreSQL when reachable) and a node heartbeating over HTTP.
 */
class CatchUpAfterRestartTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    @TempDir
    Path dir;
    final EthAccount oracle = EthAccount.generate(RANDOM);
    final EthAccount user = EthAccount.generate(RANDOM);
    final EthAccount node = EthAccount.generate(RANDOM);
    CcnNode ccn;
    CcnClient client;
    SchedulerNode scheduler;
    String schema;

    @AfterEach
    void tearDown() throws Exception {
        if (scheduler != null) scheduler.close();
        if (client != null) client.close();
        if (ccn != null) ccn.close();
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(PG)) {
                c.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void aProgramPostedWhileTheSchedulerWasDownIsScheduledAfterAProgramDatedFarInTheFuture(String backend) throws Exception {
        String jdbcUrl = null;
        if (backend.equals("postgresql")) {
            Postgres.require();
            schema = "sched_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            jdbcUrl = PG + "&currentSchema=" + schema;
        }
        ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn")).withOracleAddresses(Set.of(oracle.address()))).start();
        client = new CcnClient(ccn.url());
        String code = publishRuntimeFundAndUploadCode();
        SchedulerConfig config = SchedulerConfig.defaults(dir.resolve("scheduler"), ccn.url()).withJdbcUrl(jdbcUrl)
                .withAllowedNodes(Set.of("*")).withLease(Duration.ofMillis(1500), Duration.ofMillis(500))
                .withIntervals(Duration.ofMillis(200), Duration.ofSeconds(1));

        scheduler = new SchedulerNode(config).start();
        int port = scheduler.port();
        String future = program(code, 9e9);
        await().atMost(Duration.ofSeconds(15)).until(() -> heldBy(scheduler).contains(future));

        scheduler.close();
        scheduler = null;
        String whileDown = program(code, now());

        scheduler = new SchedulerNode(config.withPort(port)).start();
        SchedulerNode restarted = scheduler;
        await().atMost(Duration.ofSeconds(30)).until(() -> heldBy(restarted).contains(whileDown));
        VmInfo vm = new SchedulerClient(restarted.url()).vm(whileDown).orElseThrow();
        assertThat(vm.schedulingStatus()).isEqualTo("scheduled");
        assertThat(vm.owner()).isEqualTo(user.address());
        assertThat(heldBy(restarted)).contains(future);
    }

    @org.junit.jupiter.api.Test
    void aSchedulerWhoseCursorCameFromAReplacedCcnDatabaseStillSchedulesTheNewPrograms() throws Exception {
        ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn")).withOracleAddresses(Set.of(oracle.address()))).start();
        int ccnPort = ccn.port();
        client = new CcnClient(ccn.url());
        String code = publishRuntimeFundAndUploadCode();
        for (int i = 0; i < 20; i++) {
            assertThat(client.post(sign(user, MessageType.POST, new PostContent(user.address(), now(),
                    JsonNodeFactory.instance.objectNode().put("i", i), "note", null), now()), true).messageStatus())
                    .isEqualTo("processed");
        }
        SchedulerConfig config = SchedulerConfig.defaults(dir.resolve("scheduler"), ccn.url()).withAllowedNodes(Set.of("*"))
                .withLease(Duration.ofMillis(1500), Duration.ofMillis(500)).withIntervals(Duration.ofMillis(200), Duration.ofSeconds(1));
        scheduler = new SchedulerNode(config).start();
        String old = program(code, now());
        await().atMost(Duration.ofSeconds(15)).until(() -> heldBy(scheduler).contains(old));
        scheduler.close();
        scheduler = null;

        // the CCN comes back on the same address with a new, empty database: its numbers start again from 1
        client.close();
        ccn.close();
        ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn-new")).withOracleAddresses(Set.of(oracle.address()))
                .withPort(ccnPort)).start();
        client = new CcnClient(ccn.url());
        String fresh = program(publishRuntimeFundAndUploadCode(), now());

        scheduler = new SchedulerNode(config).start();
        SchedulerNode restarted = scheduler;
        await().atMost(Duration.ofSeconds(30)).until(() -> heldBy(restarted).contains(fresh));
        assertThat(new SchedulerClient(restarted.url()).vm(fresh).orElseThrow().schedulingStatus()).isEqualTo("scheduled");
    }


    /** One heartbeat of the node: the programs the scheduler grants it (empty while it is not leader yet). */
    List<String> heldBy(SchedulerNode s) {
        try {
            SchedulerClient crn = new SchedulerClient(List.of(s.url()), Duration.ofSeconds(2), InstantSource.system());
            long incarnation = 0;
            for (int attempt = 0; attempt < 2; attempt++) {
                var answer = crn.heartbeat(node, java.net.URI.create("http://crn.test:4020"), new Capacity(4, 8192, 100_000),
                        List.of(DefaultRuntime.ref()), List.of(), "test", new ExecutorInfo("sandbox", true), incarnation);
                if (answer instanceof HeartbeatAnswer.Granted g) return g.reply().allocations().stream().map(LeaseGrant::itemHash).toList();
                if (answer instanceof HeartbeatAnswer.IncarnationChanged c) incarnation = c.notice().incarnation();
            }
            return List.of();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    AlephMessage sign(EthAccount account, MessageType type, Content content, double time) throws Exception {
        return MessageBuilder.build(account, type, content, MessageBuilder.DEFAULT_CHANNEL, time);
    }

    /** The default runtime, a funded user and a code file; returns the code's STORE hash. */
    String publishRuntimeFundAndUploadCode() throws Exception {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("chain", "ETH");
        body.put("main_height", 1);
        body.putObject("balances").put(user.address(), 1_000_000);
        PostResult funded = client.post(sign(oracle, MessageType.POST,
                new PostContent(oracle.address(), now(), body, "balances-update", null), now()), true);
        assertThat(funded.messageStatus()).isEqualTo("processed");
        byte[] runtime = DefaultRuntime.descriptor();
        client.uploadFile(new ByteArrayInputStream(runtime), runtime.length, "runtime.json", DefaultRuntime.storeMessage(), true, null);
        byte[] code = "print('hello')\n".getBytes(StandardCharsets.UTF_8);
        AlephMessage store = sign(user, MessageType.STORE, new StoreContent(user.address(), now(), ItemType.STORAGE,
                ItemHashes.sha256Hex(code), (long) code.length, null, null, null, null), now());
        client.uploadFile(new ByteArrayInputStream(code), code.length, "main.py", store, true, null);
        return store.itemHash();
    }

    /** Posts a persistent PROGRAM dated {@code time} by its sender; returns its item hash once processed. */
    String program(String code, double time) throws Exception {
        var content = new ProgramBuilder(user.address(), code, "main.py", Encoding.PLAIN).persistent(true).time(time).build();
        AlephMessage m = sign(user, MessageType.PROGRAM, content, time);
        PostResult r = client.post(m, true);
        assertThat(r.messageStatus()).as("PROGRAM status: %s", r.body()).isEqualTo("processed");
        return m.itemHash();
    }
}
