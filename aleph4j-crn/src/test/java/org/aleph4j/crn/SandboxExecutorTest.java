package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.crn.execution.UidPool;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox executor seen from a hostile program, under load, and after many start/stop cycles. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SandboxExecutorTest {
    @TempDir
    static Path dir;
    TestNetwork net;
    CrnNode crn;
    Path crnDir;
    String cgroupParent = "aleph4j-sbtest-" + UUID.randomUUID().toString().substring(0, 6);
    String hostileCode;
    String victimCode;

    @BeforeAll
    void start() throws Exception {
        var support = SandboxExecutor.probe(new Cgroups(Path.of("/sys/fs/cgroup"), "aleph4j"));
        // CI sets ALEPH4J_REQUIRE_SANDBOX=1: there a host that cannot run the sandbox fails the suite instead of skipping it
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) {
            assertThat(support.usable()).as("ALEPH4J_REQUIRE_SANDBOX=1 but this host cannot run the sandbox: " + support.reason()).isTrue();
        }
        Assumptions.assumeTrue(support.usable(), "this host cannot run the sandbox: " + support.reason());
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        crnDir = dir.resolve("crn");
        crn = new CrnNode(CrnConfig.defaults(crnDir, net.ccnUrl()).withExecutor(CrnConfig.ExecutorKind.SANDBOX)
                .withCgroupParent(cgroupParent), LeaseDirectory.NONE).start();
        String hostile;
        try (InputStream in = getClass().getResourceAsStream("/sandbox/hostile.py")) {
            hostile = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        hostileCode = net.store(net.user(), TestNetwork.zip(Map.of("run.sh", "#!/bin/sh\nexec python3 \"$(dirname \"$0\")/hostile.py\"\n",
                "hostile.py", hostile)), null);
        victimCode = net.store(net.user(), SamplePrograms.binaryZip("victim"), null);
    }

    @AfterAll
    void stop() throws IOException {
        if (crn != null) crn.close();
        if (net != null) net.close();
        // the test's own (now empty) parent cgroups
        for (String c : List.of("memory", "cpu", "pids", "freezer", "")) {
            Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, cgroupParent + "-b"));
            Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, cgroupParent));
        }
    }

    URI vm(String hash, String rest) {
        return URI.create(crn.url() + "/vm/" + hash + rest);
    }

    JsonNode get(String hash, String rest) throws Exception {
        HttpResponse<String> r = net.get(vm(hash, rest));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestNetwork.json(r);
    }

    String programIp(String hash) throws Exception {
        JsonNode v2 = TestNetwork.json(net.get(URI.create(crn.url() + "/v2/about/executions/list")));
        return v2.path(hash).path("networking").path("ipv4_ip").asText();
    }

    @Test
    void aboutReportsTheSandboxExecutor() throws Exception {
        JsonNode about = TestNetwork.json(net.get(URI.create(crn.url() + "/about")));
        assertThat(about.path("executor").asText()).isEqualTo("sandbox");
        assertThat(about.path("executor_details").has("internet")).isTrue();
        assertThat(about.path("limits").path("enforced").asBoolean()).isTrue();
        // the built-in FastAPI check runs through the same sandbox; its network checks depend on this host's internet
        HttpResponse<String> check = net.get(URI.create(crn.url() + "/status/check/fastapi"));
        JsonNode result = TestNetwork.json(check);
        for (String k : List.of("index", "environ", "lifespan", "error_handling", "persistent_storage")) {
            assertThat(result.path(k).asBoolean()).as(k + " in " + check.body()).isTrue();
        }
        boolean healthy = List.of("ipv4", "internet", "dns").stream().allMatch(k -> result.path(k).asBoolean());
        assertThat(check.statusCode()).as(check.body()).isEqualTo(healthy ? 200 : 503);
        assertThat(result.path("details").path("internet").asText()).isNotEmpty();
    }

    @Test
    void hostileProgramCannotReadHostFilesOtherProgramsProcessesOrReachHostServices() throws Exception {
        // a victim program that keeps a secret in its data directory
        String victim = net.program(net.zipProgram(victimCode, "run.sh").timeoutSeconds(10.0).memory(128));
        assertThat(get(victim, "/").path("version").asText()).isEqualTo("victim");
        Path victimData;
        try (Stream<Path> s = Files.list(crnDir.resolve("executions"))) {
            victimData = s.filter(p -> p.getFileName().toString().startsWith(victim.substring(0, 12))).findFirst().orElseThrow();
        }
        Files.writeString(victimData.resolve("secret.txt"), "victim-secret");
        Path key = crnDir.resolve("keys/node.key");
        Files.createDirectories(key.getParent());
        Files.writeString(key, "node-private-key");

        String hostile = net.program(net.zipProgram(hostileCode, "run.sh").timeoutSeconds(20.0).memory(128));
        assertThat(get(hostile, "/").path("hello").asBoolean()).isTrue();
        String progIp = programIp(hostile);
        assertThat(progIp).startsWith("10.213.");
        String[] o = progIp.split("\\.");
        String hostIp = o[0] + "." + o[1] + "." + o[2] + "." + (Integer.parseInt(o[3]) - 1);
        int ccnPort = net.ccnUrl().getPort();

        // a host service reachable on the host side of the program's veth (bound only there, not on other interfaces)
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket hostService = new ServerSocket(0, 50, InetAddress.getByName(hostIp))) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                while (!hostService.isClosed()) {
                    try (Socket ignored = hostService.accept()) {
                        accepted.incrementAndGet();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            String q = "/probe?file=" + victimData.resolve("secret.txt") + "&file=" + key + "&file=/etc/hostname"
                    + "&dir=" + crnDir + "&dir=" + crnDir.resolve("executions") + "&dir=" + dir
                    + "&addr=127.0.0.1:" + ccnPort + "&addr=127.0.0.1:" + crn.port() + "&addr=" + hostIp + ":" + ccnPort
                    + "&addr=" + hostIp + ":" + crn.port() + "&addr=" + hostIp + ":" + hostService.getLocalPort()
                    + "&addr=192.0.2.1:80";
            JsonNode r = get(hostile, q);

            // its own user from the execution range, not root, not a user shared with other programs
            assertThat(r.path("uid").asInt()).isBetween(UidPool.BASE, UidPool.BASE + UidPool.SIZE - 1);
            assertThat(r.path("euid").asInt()).isEqualTo(r.path("uid").asInt());
            assertThat(r.path("gid").asInt()).isEqualTo(r.path("uid").asInt());
            assertThat(r.path("reads").path("/etc/shadow").path("ok").asBoolean()).isFalse();
            assertThat(r.path("reads").path(victimData.resolve("secret.txt").toString()).path("ok").asBoolean()).isFalse();
            assertThat(r.path("reads").path(key.toString()).path("ok").asBoolean()).isFalse();
            assertThat(r.toString()).doesNotContain("victim-secret").doesNotContain("node-private-key");
            for (String d : List.of("/root", "/home", "/work", crnDir.toString(), crnDir.resolve("executions").toString(), dir.toString())) {
                assertThat(r.path("lists").path(d).path("ok").asBoolean()).as("listing " + d).isFalse();
            }
            r.path("connects").fields().forEachRemaining(c ->
                    assertThat(c.getValue().path("ok").asBoolean()).as("connect to " + c.getKey() + ": " + c.getValue()).isFalse());
            assertThat(r.path("default_route").path("value").size()).as("no default route without internet").isZero();
            assertThat(r.path("writes").path("/opt/code/evil").path("ok").asBoolean()).isFalse();
            assertThat(r.path("writes").path("/usr/evil").path("ok").asBoolean()).isFalse();
            assertThat(r.path("writes").path("/etc/evil").path("ok").asBoolean()).isFalse();
            assertThat(r.path("writes").path("/data/fine").path("ok").asBoolean()).isTrue();
            assertThat(r.path("writes").path("/tmp/fine").path("ok").asBoolean()).isTrue();
            // only the sandbox's own processes: no java, no watchdog, no victim
            List<String> procs = new ArrayList<>();
            r.path("processes").forEach(p -> procs.add(p.asText()));
            assertThat(procs).isNotEmpty().allSatisfy(p -> assertThat(p).doesNotContain("java").doesNotContain("watchdog")
                    .doesNotContain("server.py"));
            assertThat(procs.size()).isLessThanOrEqualTo(4);
            hostService.close();
            acceptor.join(Duration.ofSeconds(5));
        }
        assertThat(accepted.get()).as("connections the host service accepted from the program").isZero();
    }

    long latencyMs(String hash) throws Exception {
        long t0 = System.nanoTime();
        assertThat(net.get(vm(hash, "/")).statusCode()).isEqualTo(200);
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void memoryHogCpuHogAndForkBombAreContainedWhileAnotherProgramKeepsServing() throws Exception {
        String other = net.program(net.zipProgram(victimCode, "run.sh").timeoutSeconds(10.0).memory(128));
        assertThat(net.get(vm(other, "/")).statusCode()).isEqualTo(200);

        String hog = net.program(net.zipProgram(hostileCode, "run.sh").timeoutSeconds(20.0).memory(64));
        get(hog, "/");
        HttpResponse<String> killed = net.get(vm(hog, "/hog"));
        assertThat(killed.statusCode()).isEqualTo(502);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode v2 = TestNetwork.json(net.get(URI.create(crn.url() + "/v2/about/executions/list")));
            assertThat(v2.path(hog).path("reason").asText()).contains("memory limit of 64 MiB exceeded");
        });
        assertThat(latencyMs(other)).isLessThan(2000);

        String cpu = net.program(net.zipProgram(hostileCode, "run.sh").timeoutSeconds(20.0).memory(128));
        get(cpu, "/burn?seconds=4");
        long worst = 0;
        for (int i = 0; i < 10; i++) worst = Math.max(worst, latencyMs(other));
        assertThat(worst).as("other program's worst latency while 4 processes burn 1 vCPU").isLessThan(2000);

        String bomb = net.program(net.zipProgram(hostileCode, "run.sh").timeoutSeconds(30.0).memory(256));
        JsonNode fb = get(bomb, "/forkbomb");
        assertThat(fb.path("forked").asInt()).isLessThan(Cgroups.PIDS_MAX);
        assertThat(fb.path("error").asText()).containsIgnoringCase("resource temporarily unavailable");
        worst = 0;
        for (int i = 0; i < 5; i++) worst = Math.max(worst, latencyMs(other));
        assertThat(worst).isLessThan(2000);
        assertThat(net.get(URI.create(crn.url() + "/about")).statusCode()).isEqualTo(200);
        // the bomb's children go with the sandbox
        net.forget(net.user(), bomb);
        await().atMost(Duration.ofSeconds(20)).until(() -> TestNetwork.programProcesses(bomb).isEmpty());
    }

    @Test
    void tutorialFastApiAndBinaryExamplesRunUnchanged() throws Exception {
        Path examples = Path.of("..", "examples").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isDirectory(examples), "examples/ not found at " + examples);
        String fastapi = net.store(net.user(), TestNetwork.zip(Map.of("main.py",
                Files.readString(examples.resolve("hello-fastapi/src/main.py")))), null);
        String fh = net.program(net.zipProgram(fastapi, "main:app").timeoutSeconds(30.0).memory(256));
        assertThat(get(fh, "/").path("message").asText()).isEqualTo("Hello World");

        String binary = net.store(net.user(), TestNetwork.zip(Map.of(
                "run.sh", Files.readString(examples.resolve("hello-binary/src/run.sh")),
                "server.py", Files.readString(examples.resolve("hello-binary/src/server.py")))), null);
        String bh = net.program(net.zipProgram(binary, "run.sh").timeoutSeconds(30.0).memory(256));
        JsonNode r = get(bh, "/x");
        assertThat(r.path("message").asText()).isEqualTo("Hello from a binary");
        assertThat(r.path("path").asText()).isEqualTo("/x");
    }

    static List<String> lines(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().toList();
    }

    /** Child cgroups under {@code parent} in the hierarchy this host really uses (v2 unified, or the v1 controllers). */
    static List<String> cgroupChildren(String parent) throws IOException {
        List<String> out = new ArrayList<>();
        Path root = Path.of("/sys/fs/cgroup");
        boolean v2 = Files.exists(root.resolve("cgroup.controllers"));
        List<String> hierarchies = v2 ? List.of("") : List.of("memory", "cpu", "pids", "freezer");
        assertThat(v2 || Files.isDirectory(root.resolve("memory"))).as("a cgroup hierarchy at " + root).isTrue();
        for (String c : hierarchies) {
            Path d = root.resolve(c).resolve(parent);
            if (!Files.isDirectory(d)) continue;
            try (Stream<Path> s = Files.list(d)) {
                s.filter(Files::isDirectory).forEach(p -> out.add(c + "/" + p.getFileName()));
            }
        }
        return out;
    }

    /** Everything of a sandbox slot that could be left behind on the host. */
    static List<String> traces(String slot) throws Exception {
        List<String> found = new ArrayList<>();
        if (Files.exists(Path.of("/run/netns/a4j-" + slot))) found.add("netns a4j-" + slot);
        if (Files.exists(Path.of("/sys/class/net/a4j" + slot + "h"))) found.add("veth a4j" + slot + "h");
        for (String l : lines(List.of("ip", "rule", "show"))) if (l.contains("a4j" + slot + "h")) found.add("rule " + l);
        for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) if (l.contains("a4j-" + slot + " ")) found.add("mount " + l);
        return found;
    }

    @Test
    void twentyStartStopCyclesAndANodeRestartLeaveNothingBehind() throws Exception {
        String hash = net.program(net.zipProgram(victimCode, "run.sh").timeoutSeconds(10.0).memory(128).persistent(true));
        PersistentHost host = crn.persistentHost();
        List<String> slots = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            host.ensureRunning(hash, i, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(20)).until(() -> host.persistentExecutions().stream()
                    .anyMatch(s -> s.itemHash().equals(hash) && s.state().equals("RUNNING")));
            assertThat(get(hash, "/").path("epoch").asText()).isEqualTo(Integer.toString(i));
            String ip = programIp(hash);
            String[] o = ip.split("\\.");
            slots.add(Integer.toString((Integer.parseInt(o[2]) * 256 + Integer.parseInt(o[3]) - 2) / 4));
            host.stop(hash, "cycle " + i);
        }
        assertThat(TestNetwork.programProcesses(hash)).isEmpty();
        for (String slot : slots) assertThat(traces(slot)).as("slot " + slot).isEmpty();
        // the node's idle warm-pool slots (WarmPoolTest) are all that may remain
        assertThat(cgroupChildren(cgroupParent)).allMatch(c -> c.contains("/warm-"));
        try (Stream<Path> s = Files.list(crnDir.resolve("run"))) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sandbox") || n.endsWith(".pid"))
                    .filter(n -> !n.startsWith("warm-"))).isEmpty();
        }

        // a node that did not stop its programs (crashed): the next node on the same data dir removes all of it
        Path crashedDir = dir.resolve("crashed");
        String parent2 = cgroupParent + "-b";
        CrnNode crashed = new CrnNode(CrnConfig.defaults(crashedDir, net.ccnUrl()).withExecutor(CrnConfig.ExecutorKind.SANDBOX)
                .withCgroupParent(parent2), LeaseDirectory.NONE).start();
        String slot;
        try {
            String p = net.program(net.zipProgram(victimCode, "run.sh").timeoutSeconds(10.0).memory(128));
            assertThat(net.get(URI.create(crashed.url() + "/vm/" + p + "/")).statusCode()).isEqualTo(200);
            JsonNode v2 = TestNetwork.json(net.get(URI.create(crashed.url() + "/v2/about/executions/list")));
            String[] o = v2.path(p).path("networking").path("ipv4_ip").asText().split("\\.");
            slot = Integer.toString((Integer.parseInt(o[2]) * 256 + Integer.parseInt(o[3]) - 2) / 4);
            assertThat(traces(slot)).isNotEmpty();
            List<String> crashedSlots = cgroupChildren(parent2).stream().filter(c -> c.contains("/warm-")).toList();
            try (CrnNode restarted = new CrnNode(CrnConfig.defaults(crashedDir, net.ccnUrl())
                    .withExecutor(CrnConfig.ExecutorKind.SANDBOX).withCgroupParent(parent2), LeaseDirectory.NONE).start()) {
                assertThat(traces(slot)).isEmpty();
                // the crashed node's warm slots went too; the restarted node warms its own
                assertThat(cgroupChildren(parent2)).allMatch(c -> c.contains("/warm-")).doesNotContainAnyElementsOf(crashedSlots);
                assertThat(TestNetwork.programProcesses(p)).isEmpty();
            }
        } finally {
            crashed.close();
        }
    }
}
