package org.aleph4j.scheduler;

import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.SchedulerAbout;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.crn.lease.LeaseDecisions;
import org.aleph4j.crn.lease.LeaseKeeper;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.Signatures;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Ticker;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The lease channel over real HTTP: answers signed by the scheduler's key and bound to the heartbeat's
 * nonce and to the scheduler's incarnation, so that a heartbeat recorded before a restart renews
 * nothing after it, and a CRN acts only on answers of the key it trusts.
 */
class LeaseChannelTest {
    static final Duration TTL = Duration.ofMillis(1500);
    static final Duration DRIFT = Duration.ofMillis(500);
    static final Duration BEAT = Duration.ofMillis(200);

    @TempDir
    Path dir;
    TestNetwork net;
    final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(1_000_000).start();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
        net.close();
    }

    SchedulerConfig config() {
        return SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl()).withAllowedNodes(Set.of("*"))
                .withLease(TTL, DRIFT).withIntervals(BEAT, Duration.ofSeconds(1));
    }

    SchedulerNode start(SchedulerConfig cfg) {
        SchedulerNode node = new SchedulerNode(cfg).start();
        toClose.add(node);
        return node;
    }

    static Heartbeat heartbeat(EthAccount node, String nonce, long incarnation) {
        return new Heartbeat(node.address(), "http://crn.test:4020", new Capacity(4, 8192, 100_000),
                List.of(DefaultRuntime.ref()), List.of(), "test", nonce, TestNetwork.now(),
                new ExecutorInfo("sandbox", true), incarnation);
    }

    @Test
    void answersAreSignedByTheSchedulersKeyEchoTheNonceAndNameTheIncarnationTheAboutPageShows() {
        SchedulerNode s = start(config());
        SchedulerClient client = new SchedulerClient(s.url());
        SchedulerAbout about = client.about();
        assertThat(about.address()).isEqualTo(s.address().toLowerCase());
        assertThat(about.leading()).isTrue();
        assertThat(about.incarnation()).isEqualTo(1L).isEqualTo(s.incarnation());
        assertThat(about.leaseTtlMs()).isEqualTo(TTL.toMillis());
        EthAccount node = TestNetwork.newAccount();

        // A node that has seen no incarnation yet is told the current one, in an answer signed by the scheduler.
        HeartbeatAnswer first = client.heartbeat(node, heartbeat(node, "0000000000000001", 0));
        assertThat(first).isInstanceOfSatisfying(HeartbeatAnswer.IncarnationChanged.class, c -> {
            assertThat(c.signer()).isEqualTo(about.address());
            assertThat(c.notice().schedulerAddress()).isEqualTo(about.address());
            assertThat(c.notice().incarnation()).isEqualTo(1L);
            assertThat(c.notice().nonce()).isEqualTo("0000000000000001");
        });
        HeartbeatAnswer second = client.heartbeat(node, heartbeat(node, "0000000000000002", 1));
        assertThat(second).isInstanceOfSatisfying(HeartbeatAnswer.Granted.class, g -> {
            assertThat(g.signer()).isEqualTo(about.address());
            assertThat(g.reply().schedulerAddress()).isEqualTo(about.address());
            assertThat(g.reply().nonce()).isEqualTo("0000000000000002");
            assertThat(g.reply().incarnation()).isEqualTo(1L);
        });
    }

    @Test
    void aHeartbeatRecordedBeforeARestartIsRefusedAfterItAndRenewsNothing() throws Exception {
        SchedulerNode first = new SchedulerNode(config()).start();
        int port = first.port();
        String firstAddress = first.address();
        FakeCrn crn = new FakeCrn(List.of(first.url()), BEAT).start();
        toClose.add(crn);
        String program = persistentProgram();
        Recorded recorded;
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> crn.holds(program));
            crn.stop();
            // What an eavesdropper records: one signed heartbeat that renews the program's lease.
            recorded = Recorded.of(crn.key, heartbeat(crn.key, "feedfacefeedface", first.incarnation()));
            HttpResponse<byte[]> answered = recorded.send(first.url());
            assertThat(answered.statusCode()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(answered.body()).path("allocations").toString()).contains(program);
            assertThat(recorded.send(first.url()).statusCode()).as("replayed to the same scheduler").isEqualTo(409);
        } finally {
            first.close();
        }

        SchedulerNode second = start(config().withPort(port));
        assertThat(second.address()).as("the key is kept in the data directory").isEqualTo(firstAddress);
        assertThat(second.incarnation()).isEqualTo(2L);
        // The new process no longer remembers the nonce, but the heartbeat names the old incarnation.
        HttpResponse<byte[]> replayed = recorded.send(second.url());
        assertThat(replayed.statusCode()).isEqualTo(409);
        JsonNode body = Json.MAPPER.readTree(replayed.body());
        assertThat(body.path("error_code").asInt()).isEqualTo(5);
        assertThat(body.path("details").path("incarnation").asLong()).isEqualTo(2L);
        assertThat(body.has("allocations")).isFalse();
        assertThat(signer(replayed)).isEqualTo(firstAddress.toLowerCase());
    }

    /** A heartbeat's exact bytes and signature, sent again as they are. */
    record Recorded(byte[] body, String signature) {
        static Recorded of(EthAccount key, Heartbeat hb) {
            byte[] bytes = Json.write(hb).getBytes(StandardCharsets.UTF_8);
            return new Recorded(bytes, key.signEip191(bytes));
        }

        HttpResponse<byte[]> send(URI scheduler) throws Exception {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(scheduler + "/api/v1/heartbeat"))
                    .header("Content-Type", "application/json").header(SchedulerClient.SIGNATURE_HEADER, signature)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        }
    }

    static String signer(HttpResponse<byte[]> r) {
        String header = r.headers().firstValue(SchedulerClient.SIGNATURE_HEADER).orElseThrow();
        return SignatureVerifier.best().recover(Signatures.eip191Hash(r.body()), Signatures.parse(header));
    }

    @Test
    void aCrnStartsWhatItIsGrantedOnlyByTheKeyItTrustsAndWithinItsLeaseCap() throws Exception {
        SchedulerNode s = start(config());
        SchedulerClient client = new SchedulerClient(List.of(s.url()), Duration.ofSeconds(2), InstantSource.system());
        EthAccount nodeKey = TestNetwork.newAccount();
        RecordingHost host = new RecordingHost();
        String stranger = TestNetwork.newAccount().address();
        // Beats are driven by hand: each is one heartbeat (or two, when told a newer incarnation) and its answer.
        // A CRN that trusts the key but honours leases of at most 1 s: it registers, follows the incarnation,
        // is allocated the program, and ignores every grant of it (1.5 s leases).
        LeaseKeeper capped = keeper(client, host, nodeKey, new LeaseDecisions.Trust(Set.of(s.address()), Duration.ofSeconds(1)));
        capped.beat();
        assertThat(capped.incarnation()).isEqualTo(s.incarnation());
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            capped.beat();
            return client.allocation(program).isPresent();
        });
        for (int i = 0; i < 3; i++) capped.beat();
        assertThat(host.started).as("granted %s ms, more than the 1000 ms this CRN honours", TTL.toMillis()).isEmpty();

        // The same node trusting another key: the scheduler's answers (a refusal naming its incarnation) are ignored.
        LeaseKeeper distrustful = keeper(client, host, nodeKey, LeaseDecisions.Trust.of(Set.of(stranger)));
        for (int i = 0; i < 3; i++) distrustful.beat();
        assertThat(distrustful.incarnation()).as("it follows no incarnation of a key it does not trust").isZero();
        assertThat(host.started).isEmpty();

        LeaseKeeper trusting = keeper(client, host, nodeKey, LeaseDecisions.Trust.of(Set.of(s.address())));
        trusting.beat(); // told the incarnation, heartbeats again at once, and is granted
        assertThat(trusting.incarnation()).isEqualTo(s.incarnation());
        assertThat(host.started).containsEntry(program, 1L);
        assertThat(trusting.held()).containsEntry(program, 1L);
    }

    static LeaseKeeper keeper(SchedulerClient client, PersistentHost host, EthAccount key, LeaseDecisions.Trust trust) {
        return new LeaseKeeper(client, host, key, URI.create("http://crn.test:4020"),
                () -> new LeaseKeeper.Offer(new Capacity(4, 8192, 100_000), List.of(DefaultRuntime.ref()), "test",
                        new ExecutorInfo("sandbox", true)), BEAT, Ticker.system(), trust);
    }

    /** The execution side, reduced to what was started under which epoch. */
    static final class RecordingHost implements PersistentHost {
        final Map<String, Long> started = new ConcurrentHashMap<>();

        @Override
        public void ensureRunning(String itemHash, long epoch, Duration fence) {
            started.put(itemHash, epoch);
        }

        @Override
        public void renewLease(String itemHash, long epoch, Duration remaining) {
        }

        @Override
        public void stop(String itemHash, String reason) {
            started.remove(itemHash);
        }

        @Override
        public List<PersistentStatus> persistentExecutions() {
            return started.entrySet().stream().map(e -> new PersistentStatus(e.getKey(), e.getValue(), "RUNNING", 0, null)).toList();
        }
    }

    /** A persistent PROGRAM of the user running a one-line Python script. */
    String persistentProgram() throws Exception {
        String code = net.store(net.user(), SamplePrograms.HELLO_PY.getBytes(java.nio.charset.StandardCharsets.UTF_8), null);
        return net.program(net.programBuilder(code, "main.py", org.aleph4j.message.content.Encoding.PLAIN).persistent(true)
                .time(TestNetwork.now()));
    }
}
