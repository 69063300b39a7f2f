package org.aleph4j.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDecisions;
import org.aleph4j.crn.lease.LeaseKeeper;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.crn.lease.SchedulerLeaseDirectory;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.Ticker;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Scheduler + real CrnNode + LeaseKeeper in one process: a persistent program runs under its lease and dies with it. */
class CrnLeaseEndToEndTest {
    static final Duration TTL = Duration.ofMillis(2000);
    static final Duration DRIFT = Duration.ofMillis(500);
    static final Duration BEAT = Duration.ofMillis(300);
    static final String SERVER = """
            import http.server, json, os
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = json.dumps({"epoch": os.environ.get("ALEPH4J_EPOCH"), "pid": os.getpid()}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a):
                    pass
            http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
            """;

    @TempDir
    Path dir;

    @Test
    void anAllocatedProgramRunsWithItsEpochAndItsWatchdogKillsItAtTheLeaseDeadlineWhenTheSchedulerStops() throws Exception {
        try (TestNetwork net = TestNetwork.builder(dir).fundedUser(1_000_000).start()) {
            SchedulerNode scheduler = new SchedulerNode(SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl())
                    .withAllowedNodes(Set.of("*")).withLease(TTL, DRIFT).withIntervals(BEAT, Duration.ofSeconds(1))
                    .withRequireIsolation(false)).start(); // the CRN runs the process executor
            SchedulerClient client = new SchedulerClient(List.of(scheduler.url()), Duration.ofSeconds(1), InstantSource.system());
            CrnNode crn = new CrnNode(processExecutor(dir, net.ccnUrl()), new SchedulerLeaseDirectory(client));
            LeaseKeeper keeper = null;
            try {
                crn.start();
                EthAccount nodeKey = TestNetwork.newAccount();
                keeper = new LeaseKeeper(client, crn.persistentHost(), nodeKey, crn.url(),
                        () -> offer(crn),
                        BEAT, Ticker.system(), trusting(scheduler)).start();
                String code = net.storeZip(Map.of("run.sh", "#!/bin/sh\nexec python3 \"$(dirname \"$0\")/server.py\"\n",
                        "server.py", SERVER));
                String program = net.program(net.zipProgram(code, "run.sh").persistent(true).memory(256));
                PersistentHost host = crn.persistentHost();
                await().atMost(Duration.ofSeconds(30)).until(() -> host.persistentExecutions().stream()
                        .anyMatch(s -> s.itemHash().equals(program) && s.state().equals("RUNNING")));
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(crn.url() + "/vm/" + program + "/")).timeout(Duration.ofSeconds(20)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                JsonNode body = Json.MAPPER.readTree(r.body());
                assertThat(body.path("epoch").asText()).isEqualTo("1");
                assertThat(client.allocation(program).orElseThrow().node().url()).isEqualTo(crn.url().toString());
                long pid = body.path("pid").asLong();
                ProcessHandle process = ProcessHandle.of(pid).orElseThrow();

                scheduler.halt(); // the scheduler dies: no more renewals
                long lastSent = keeper.lastAnsweredSendNanos();
                await().atMost(TTL.plusSeconds(5)).pollInterval(Duration.ofMillis(25)).until(() -> !process.isAlive());
                long diedAfter = System.nanoTime() - lastSent;
                // Killed at the deadline (lease counted from the last answered send), not before it.
                assertThat(Duration.ofNanos(diedAfter)).isGreaterThanOrEqualTo(TTL.minusMillis(300));
                assertThat(Duration.ofNanos(diedAfter)).isLessThan(TTL.plusSeconds(3));
            } finally {
                if (keeper != null) keeper.close();
                crn.close();
                scheduler.close();
            }
        }
    }

    @Test
    void aDrainingNodeStopsItsProgramAndHandsItBackAtOnce() throws Exception {
        try (TestNetwork net = TestNetwork.builder(dir).fundedUser(1_000_000).start()) {
            SchedulerNode scheduler = new SchedulerNode(SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl())
                    .withAllowedNodes(Set.of("*")).withLease(TTL, DRIFT).withIntervals(BEAT, Duration.ofSeconds(1))
                    .withRequireIsolation(false)).start(); // the CRN runs the process executor
            SchedulerClient client = new SchedulerClient(List.of(scheduler.url()), Duration.ofSeconds(1), InstantSource.system());
            CrnNode crn = new CrnNode(processExecutor(dir, net.ccnUrl()), new SchedulerLeaseDirectory(client));
            LeaseKeeper keeper = null;
            try {
                crn.start();
                keeper = new LeaseKeeper(client, crn.persistentHost(), TestNetwork.newAccount(), crn.url(),
                        () -> offer(crn),
                        BEAT, Ticker.system(), trusting(scheduler)).start();
                String code = net.storeZip(Map.of("run.sh", "#!/bin/sh\nexec python3 \"$(dirname \"$0\")/server.py\"\n",
                        "server.py", SERVER));
                String program = net.program(net.zipProgram(code, "run.sh").persistent(true).memory(256));
                PersistentHost host = crn.persistentHost();
                await().atMost(Duration.ofSeconds(30)).until(() -> host.persistentExecutions().stream()
                        .anyMatch(s -> s.itemHash().equals(program) && s.state().equals("RUNNING")));
                long drainStart = System.nanoTime();
                keeper.drain();
                assertThat(host.persistentExecutions()).noneMatch(s -> s.itemHash().equals(program) && s.state().equals("RUNNING"));
                assertThat(client.allocation(program)).isEmpty(); // released: no waiting for the lease to lapse
                assertThat(Duration.ofNanos(System.nanoTime() - drainStart)).isLessThan(TTL);
                assertThat(client.vm(program).orElseThrow().history()).anyMatch(h -> h.reason().contains("released by"));
            } finally {
                if (keeper != null) keeper.close();
                crn.close();
                scheduler.close();
            }
        }
    }

    /**
     * The process executor, explicitly: these tests check lease fencing from the host (the program's
     * pid, 127.0.0.1); the sandbox's own fencing is covered by aleph4j-crn's tests.
     */
    @Test
    void aSchedulerRequiringIsolationLeavesAProgramUnschedulableWhenTheOnlyNodeRunsTheProcessExecutor() throws Exception {
        try (TestNetwork net = TestNetwork.builder(dir).fundedUser(1_000_000).start()) {
            SchedulerNode scheduler = new SchedulerNode(SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl())
                    .withAllowedNodes(Set.of("*")).withLease(TTL, DRIFT).withIntervals(BEAT, Duration.ofSeconds(1))).start();
            SchedulerClient client = new SchedulerClient(List.of(scheduler.url()), Duration.ofSeconds(1), InstantSource.system());
            CrnNode crn = new CrnNode(processExecutor(dir, net.ccnUrl()), new SchedulerLeaseDirectory(client));
            LeaseKeeper keeper = null;
            try {
                crn.start();
                EthAccount nodeKey = TestNetwork.newAccount();
                keeper = new LeaseKeeper(client, crn.persistentHost(), nodeKey, crn.url(), () -> offer(crn), BEAT,
                        Ticker.system(), trusting(scheduler)).start();
                String code = net.store(net.user(), SamplePrograms.HELLO_PY.getBytes(StandardCharsets.UTF_8), null);
                String program = net.program(net.programBuilder(code, "main.py", Encoding.PLAIN).persistent(true));
                await().atMost(Duration.ofSeconds(15)).until(() -> client.vm(program)
                        .map(v -> "unschedulable".equals(v.schedulingStatus())).orElse(false));
                var vm = client.vm(program).orElseThrow();
                assertThat(vm.status()).isEqualTo("pending");
                assertThat(vm.reason()).contains("no active node isolates programs").contains("process");
                assertThat(client.allocation(program)).isEmpty();
                assertThat(crn.persistentHost().persistentExecutions()).isEmpty();
                var node = client.nodes().stream().filter(n -> n.address().equalsIgnoreCase(nodeKey.address())).findFirst()
                        .orElseThrow();
                assertThat(node.executor().name()).isEqualTo("process");
                assertThat(node.executor().isolated()).isFalse();
            } finally {
                if (keeper != null) keeper.close();
                crn.close();
                scheduler.close();
            }
        }
    }

    /** A CRN's trust in this scheduler's key, with the default lease cap. */
    static LeaseDecisions.Trust trusting(SchedulerNode scheduler) {
        return LeaseDecisions.Trust.of(Set.of(scheduler.address()));
    }

    /** What the CRN really runs, as ComputeNode reports it. */
    private static LeaseKeeper.Offer offer(CrnNode crn) {
        return new LeaseKeeper.Offer(new Capacity(2, 4096, 10_000), List.of(DefaultRuntime.ref()), "test",
                new ExecutorInfo(crn.executorName(), crn.executorIsolates()));
    }

    private static CrnConfig processExecutor(java.nio.file.Path dir, URI ccnUrl) {
        return CrnConfig.defaults(dir.resolve("crn"), ccnUrl).withExecutor(CrnConfig.ExecutorKind.PROCESS);
    }
}
