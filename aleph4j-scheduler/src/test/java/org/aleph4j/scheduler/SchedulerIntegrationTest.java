package org.aleph4j.scheduler;

import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.engine.NodeRows;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The scheduler over real HTTP, with a real CcnNode and CRNs played by signed heartbeat loops. */
class SchedulerIntegrationTest {
    static final Duration TTL = Duration.ofMillis(1500);
    static final Duration DRIFT = Duration.ofMillis(500);
    static final Duration BEAT = Duration.ofMillis(200);

    @TempDir
    Path dir;
    TestNetwork net;
    String codeRef;
    final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(1_000_000).start();
        codeRef = net.store(net.user(), SamplePrograms.HELLO_PY.getBytes(StandardCharsets.UTF_8), null);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
        net.close();
    }

    /** The user's PROGRAM running the plain script (persistent or not, replacing {@code replaces} unless null). */
    String program(boolean persistent, String replaces) throws Exception {
        ProgramContent content = net.programBuilder(codeRef, "main.py", Encoding.PLAIN).persistent(persistent)
                .time(TestNetwork.now()).build();
        return net.program(net.user(), replaces == null ? content : content.withPersistence(persistent, replaces));
    }

    String persistentProgram() throws Exception {
        return program(true, null);
    }

    SchedulerConfig config(Set<String> allowed) {
        return SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl()).withAllowedNodes(allowed)
                .withLease(TTL, DRIFT).withIntervals(BEAT, Duration.ofSeconds(1));
    }

    SchedulerNode start(SchedulerConfig cfg) {
        SchedulerNode node = new SchedulerNode(cfg).start();
        toClose.add(node);
        return node;
    }


    FakeCrn running(SchedulerNode... schedulers) {
        FakeCrn c = new FakeCrn(List.of(schedulers).stream().map(SchedulerNode::url).toList(), BEAT);
        toClose.add(c);
        return c;
    }

    static Set<String> allowing(FakeCrn... crns) {
        return java.util.Arrays.stream(crns).map(FakeCrn::address).collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void aPersistentProgramIsPlacedOnExactlyOneNode() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        FakeCrn two = running(s).start();
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program) || two.holds(program));
        SchedulerClient reader = new SchedulerClient(s.url());
        Allocation allocation = reader.allocation(program).orElseThrow();
        FakeCrn holder = one.holds(program) ? one : two;
        FakeCrn other = holder == one ? two : one;
        assertThat(allocation.node().nodeId()).isEqualTo(NodeRows.nodeHash(holder.address()));
        assertThat(allocation.node().url()).isEqualTo(holder.publicUrl.toString());
        assertThat(allocation.epoch()).isEqualTo(1L);
        // Several more heartbeats: it stays with one node only.
        long beats = 0;
        for (int i = 0; i < 5; i++) {
            assertThat(other.beat().allocations()).noneMatch(g -> g.itemHash().equals(program));
            assertThat(holder.beat().allocations()).anyMatch(g -> g.itemHash().equals(program) && g.epoch() == 1);
            beats++;
        }
        assertThat(beats).isEqualTo(5);
        VmInfo vm = reader.vm(program).orElseThrow();
        assertThat(vm.status()).isEqualTo("allocated");
        assertThat(vm.schedulingStatus()).isEqualTo("scheduled");
        assertThat(vm.owner()).isEqualTo(net.user().address());
        assertThat(reader.vms(net.user().address(), null, 1, 20).pagination().totalItems()).isEqualTo(1);
        assertThat(reader.nodes()).hasSize(2).allMatch(n -> n.status().equals("active"));
        assertThat(reader.plan().path("plan").path(NodeRows.nodeHash(holder.address())).path("persistent_vms")
                .get(0).asText()).isEqualTo(program);
    }

    @Test
    void aProgramMovesOnlyAfterLeaseTtlPlusDriftOnceItsHolderStopsHeartbeating() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program));
        FakeCrn two = running(s).start();
        await().atMost(Duration.ofSeconds(5)).until(() -> two.lastReply != null);
        one.stop();
        long lastSentByHolder = one.lastSentNanos.get(program);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> two.holds(program));
        long movedAfter = two.lastSentNanos.get(program) - lastSentByHolder;
        // The new holder's first grant answers a heartbeat it SENT before the move; allow one period for that.
        assertThat(Duration.ofNanos(movedAfter)).isGreaterThanOrEqualTo(TTL.plus(DRIFT).minus(BEAT).minusMillis(50));
        assertThat(two.grants.get(program).epoch()).isEqualTo(2L);
        VmInfo vm = new SchedulerClient(s.url()).vm(program).orElseThrow();
        assertThat(vm.allocatedNode()).isEqualTo(NodeRows.nodeHash(two.address()));
        assertThat(vm.history()).anyMatch(h -> h.reason().contains("stopped renewing its lease"));
        assertThat(vm.history()).anyMatch(h -> h.reason().startsWith("moved from " + one.address()));
    }

    @Test
    void anUnknownNodeKeyIsRefused() throws Exception {
        FakeCrn known = new FakeCrn(List.of(URI.create("http://127.0.0.1:1")), BEAT);
        SchedulerNode s = start(config(allowing(known)));
        FakeCrn stranger = running(s);
        assertThatThrownBy(stranger::beat).isInstanceOfSatisfying(SchedulerException.class, e -> {
            assertThat(e.httpStatus()).isEqualTo(403);
            assertThat(e.errorCode()).isEqualTo(2);
        });
        // A body signed by another key than the one it names is refused as well.
        EthAccount impostor = TestNetwork.newAccount();
        SchedulerClient client = new SchedulerClient(s.url());
        Heartbeat forged = new Heartbeat(known.key.address(), "http://x", new Capacity(1, 1, 1), List.of(), List.of(), "t",
                "0123456789abcdef", TestNetwork.now());
        assertThatThrownBy(() -> client.heartbeat(impostor, forged))
                .isInstanceOfSatisfying(SchedulerException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
        // Stale and replayed bodies from the allowed key are refused.
        Heartbeat stale = new Heartbeat(known.key.address(), "http://x", new Capacity(1, 1, 1), List.of(), List.of(), "t",
                "fedcba9876543210", TestNetwork.now() - 120);
        assertThatThrownBy(() -> client.heartbeat(known.key, stale))
                .isInstanceOfSatisfying(SchedulerException.class, e -> assertThat(e.errorCode()).isEqualTo(3));
        Heartbeat fresh = new Heartbeat(known.key.address(), "http://x", new Capacity(1, 1, 1), List.of(), List.of(), "t",
                "aaaaaaaaaaaaaaaa", TestNetwork.now(), null, s.incarnation());
        assertThat(client.heartbeat(known.key, fresh)).isInstanceOfSatisfying(HeartbeatAnswer.Granted.class,
                g -> assertThat(g.reply().allocations()).isEmpty());
        assertThatThrownBy(() -> client.heartbeat(known.key, fresh))
                .isInstanceOfSatisfying(SchedulerException.class, e -> assertThat(e.httpStatus()).isEqualTo(409));
        // Garbage gets a JSON 4xx, never a 500.
        HttpResponse<String> garbage = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(s.url() + "/api/v1/heartbeat"))
                .header(SchedulerClient.SIGNATURE_HEADER, "0x00").POST(HttpRequest.BodyPublishers.ofString("{not json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(garbage.body()).contains("\"error_code\":0");
        HttpResponse<String> missing = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(s.url() + "/api/v0/allocation/" + "0".repeat(64))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("\"error\"");
        // a path without any route gets the same body, not Javalin's plain text
        HttpResponse<String> noRoute = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(s.url() + "/api/v9/nothing")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noRoute.statusCode()).isEqualTo(404);
        assertThat(noRoute.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        com.fasterxml.jackson.databind.JsonNode b = org.aleph4j.message.Json.parseTree(noRoute.body());
        assertThat(b.path("error").asText()).contains("/api/v9/nothing");
        assertThat(b.path("error_code").asInt()).isEqualTo(10);
        assertThat(b.has("details")).isTrue();
    }

    @Test
    void unpersistAndForgetDeallocateWithinSeconds() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        SchedulerClient reader = new SchedulerClient(s.url());
        String first = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(first));
        // unpersist = a non-persistent PROGRAM replacing it
        String replacement = program(false, first);
        await().atMost(Duration.ofSeconds(3)).until(() -> !one.holds(first) && reader.allocation(first).isEmpty());
        assertThat(reader.vm(first).orElseThrow().status()).isEqualTo("removed");
        assertThat(reader.vm(replacement)).isEmpty();
        // persist again = a persistent PROGRAM replacing it: the new one is placed
        String again = program(true, first); // upstream: a replacement cannot itself be replaced (303)
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(again));
        net.forget(net.user(), again);
        await().atMost(Duration.ofSeconds(3)).until(() -> !one.holds(again) && reader.allocation(again).isEmpty());
        assertThat(reader.vm(again).orElseThrow().reason()).contains("forgot");
    }

    @Test
    void aRestartedSchedulerKeepsAllocationsAndEpochsAndMovesNothing() throws Exception {
        SchedulerNode first = new SchedulerNode(config(Set.of("*"))).start();
        int port = first.port();
        FakeCrn one;
        String program;
        try {
            one = new FakeCrn(List.of(first.url()), BEAT).start();
            toClose.add(one);
            program = persistentProgram();
            await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program));
        } finally {
            first.close();
        }
        SchedulerNode second = start(config(Set.of("*")).withPort(port));
        FakeCrn two = running(second).start(); // a second node appears: the program must not move to it
        await().atMost(Duration.ofSeconds(5)).until(() -> one.lastReply != null && two.lastReply != null && one.lastError == null);
        long until = System.nanoTime() + TTL.plus(DRIFT).multipliedBy(2).toNanos();
        await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() > until);
        assertThat(one.holds(program)).isTrue();
        assertThat(one.grants.get(program).epoch()).isEqualTo(1L);
        assertThat(two.holds(program)).isFalse();
        Allocation allocation = new SchedulerClient(second.url()).allocation(program).orElseThrow();
        assertThat(allocation.epoch()).isEqualTo(1L);
        assertThat(allocation.node().nodeId()).isEqualTo(NodeRows.nodeHash(one.address()));
    }

    @Test
    void aReleasedProgramIsPlacedElsewhereAtOnce() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program));
        FakeCrn two = running(s).start();
        await().atMost(Duration.ofSeconds(5)).until(() -> two.lastReply != null);
        one.stop(); // a draining node stops heartbeating, stops the program, then releases it
        long released = System.nanoTime();
        assertThat(one.client.release(one.key, program, one.grants.get(program).epoch(), "draining").released()).isTrue();
        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(20)).until(() -> two.holds(program));
        assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(TTL.plus(DRIFT));
        assertThat(two.grants.get(program).epoch()).isEqualTo(2L);
        assertThat(new SchedulerClient(s.url()).vm(program).orElseThrow().history())
                .anyMatch(h -> h.reason().contains("released by " + one.address()));
    }

    @Test
    void aProgramWhoseOwnerCanNoLongerPayIsDeallocated() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program));
        net.fund(net.user().address(), 0); // the CCN moves the program to "removing"
        await().atMost(Duration.ofSeconds(5)).until(() -> !one.holds(program));
        VmInfo vm = new SchedulerClient(s.url()).vm(program).orElseThrow();
        assertThat(vm.status()).isEqualTo("removed");
        assertThat(vm.reason()).startsWith("removing");
    }

    @Test
    void aProgramThatKeepsCrashingOnANodeMovesToAnotherAfterItsLeaseLapsed() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program));
        FakeCrn two = running(s).start();
        await().atMost(Duration.ofSeconds(5)).until(() -> two.lastReply != null);
        one.executions = List.of(new org.aleph4j.client.scheduler.ExecutionReport(program, 1, "FAILED", 10, "exit code 3"));
        await().atMost(Duration.ofSeconds(2)).until(() -> !one.holds(program)); // no longer renewed there
        await().atMost(Duration.ofSeconds(10)).until(() -> two.holds(program));
        VmInfo vm = new SchedulerClient(s.url()).vm(program).orElseThrow();
        assertThat(vm.history()).anyMatch(h -> h.reason().contains("crash loop") && h.reason().contains("exit code 3"));
    }

    @Test
    void aProgramThatFailedOnEveryNodeIsReportedFailedEverywhereWithItsLastError() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        FakeCrn two = running(s).start();
        String program = persistentProgram();
        SchedulerClient client = new SchedulerClient(s.url());
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program) || two.holds(program));
        assertThat(client.vm(program).orElseThrow().lastError()).isNull();
        FakeCrn first = one.holds(program) ? one : two;
        FakeCrn second = first == one ? two : one;
        first.executions = List.of(new org.aleph4j.client.scheduler.ExecutionReport(program, first.grants.get(program).epoch(), "FAILED", 0, "Attribute \"ap\" not found"));
        await().atMost(Duration.ofSeconds(10)).until(() -> second.holds(program));
        // history lines are written behind the decisions (DeferredWrites)
        await().atMost(Duration.ofSeconds(5)).until(() -> client.vm(program).orElseThrow().lastError() != null);
        VmInfo moving = client.vm(program).orElseThrow();
        assertThat(moving.failedEverywhere()).isFalse();
        assertThat(moving.lastError()).startsWithIgnoringCase("crash loop on " + first.address()).contains("Attribute \"ap\" not found");

        second.executions = List.of(new org.aleph4j.client.scheduler.ExecutionReport(program, second.grants.get(program).epoch(), "FAILED", 0, "exit code 1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> client.vm(program).orElseThrow().failedEverywhere()
                && client.vm(program).orElseThrow().lastError().contains("exit code 1"));
        VmInfo failed = client.vm(program).orElseThrow();
        assertThat(failed.status()).isEqualTo("pending");
        assertThat(failed.reason()).startsWith(VmInfo.GIVEN_UP);
        assertThat(failed.lastError()).startsWithIgnoringCase("crash loop on " + second.address()).contains("exit code 1");
        assertThat(one.holds(program) || two.holds(program)).isFalse();
    }

    @Test
    void aPersistentProgramIsNeverPlacedOnANodeThatRunsItUnisolatedWhileIsolationIsRequired() throws Exception {
        SchedulerNode s = start(config(Set.of("*"))); // require-isolation is on by default
        FakeCrn unisolated = running(s);
        unisolated.executor = new ExecutorInfo("process", false);
        unisolated.start();
        String program = persistentProgram();
        SchedulerClient reader = new SchedulerClient(s.url());
        await().atMost(Duration.ofSeconds(10)).until(() -> reader.vm(program)
                .map(v -> "unschedulable".equals(v.schedulingStatus())).orElse(false));
        VmInfo vm = reader.vm(program).orElseThrow();
        assertThat(vm.status()).isEqualTo("pending");
        assertThat(vm.reason()).isEqualTo("no active node isolates programs: require-isolation is on and the matching "
                + "nodes run process (run them with the sandbox executor)");
        assertThat(unisolated.beat().allocations()).isEmpty();
        assertThat(reader.allocation(program)).isEmpty();
        assertThat(reader.nodes()).singleElement().satisfies(n -> {
            assertThat(n.executor().name()).isEqualTo("process");
            assertThat(n.executor().isolated()).isFalse();
        });

        // An isolating node joins: the program goes there, never to the process node.
        FakeCrn sandboxed = running(s).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> sandboxed.holds(program));
        assertThat(unisolated.beat().allocations()).isEmpty();
        VmInfo placed = reader.vm(program).orElseThrow();
        assertThat(placed.schedulingStatus()).isEqualTo("scheduled");
        assertThat(placed.allocatedNode()).isEqualTo(NodeRows.nodeHash(sandboxed.address()));
    }

    @Test
    void withIsolationNotRequiredAProcessNodeRunsThePersistentProgram() throws Exception {
        SchedulerNode s = start(config(Set.of("*")).withRequireIsolation(false));
        FakeCrn unisolated = running(s);
        unisolated.executor = new ExecutorInfo("process", false);
        unisolated.start();
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> unisolated.holds(program));
        assertThat(new SchedulerClient(s.url()).vm(program).orElseThrow().schedulingStatus()).isEqualTo("scheduled");
    }

    @Test
    void aNodeThatNoLongerIsolatesLosesItsProgramToAnIsolatingNode() throws Exception {
        SchedulerNode s = start(config(Set.of("*")));
        FakeCrn one = running(s).start();
        String program = persistentProgram();
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(program));
        FakeCrn two = running(s).start();
        await().atMost(Duration.ofSeconds(5)).until(() -> two.lastReply != null);
        one.executor = new ExecutorInfo("process", false); // restarted with executor=process
        await().atMost(Duration.ofSeconds(2)).until(() -> !one.holds(program)); // no longer renewed there
        await().atMost(Duration.ofSeconds(10)).until(() -> two.holds(program));
        assertThat(one.holds(program)).isFalse();
        assertThat(new SchedulerClient(s.url()).vm(program).orElseThrow().history())
                .anyMatch(h -> h.reason().contains("runs process, which does not isolate programs"));
    }
}
