package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.crn.execution.UidPool;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm pool seen from programs: a program started in a pre-warmed sandbox observes what the same
 * program observes on a cold start (a second node with {@code warm-pool 0}), a slot serves one
 * program and is destroyed with it, slots are invisible to each other, and programs a slot cannot
 * express start cold. Needs root and bwrap, as the other sandbox tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WarmPoolTest {
    @TempDir
    static Path dir;
    TestNetwork net;
    CrnNode warm;
    CrnNode cold;
    Path warmDir;
    String warmParent = "aleph4j-wptest-" + UUID.randomUUID().toString().substring(0, 6);
    String coldParent = warmParent + "-c";
    String code;

    @BeforeAll
    void start() throws Exception {
        var support = SandboxExecutor.probe(new Cgroups(Path.of("/sys/fs/cgroup"), "aleph4j"));
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) {
            assertThat(support.usable()).as("ALEPH4J_REQUIRE_SANDBOX=1 but this host cannot run the sandbox: " + support.reason()).isTrue();
        }
        Assumptions.assumeTrue(support.usable(), "this host cannot run the sandbox: " + support.reason());
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        warmDir = dir.resolve("warm");
        // idle programs stop after 4 s: the slot-destruction test waits for that
        warm = new CrnNode(CrnConfig.defaults(warmDir, net.ccnUrl()).withExecutor(CrnConfig.ExecutorKind.SANDBOX)
                .withCgroupParent(warmParent).withIdleTimeout(Duration.ofSeconds(4)).withWarmPool(2), LeaseDirectory.NONE).start();
        cold = new CrnNode(CrnConfig.defaults(dir.resolve("cold"), net.ccnUrl()).withExecutor(CrnConfig.ExecutorKind.SANDBOX)
                .withCgroupParent(coldParent).withWarmPool(0), LeaseDirectory.NONE).start();
        try (InputStream in = getClass().getResourceAsStream("/warm/main.py")) {
            code = net.store(net.user(), TestNetwork.zip(Map.of("main.py", new String(in.readAllBytes(), StandardCharsets.UTF_8))), null);
        }
        awaitReadySlots(2);
    }

    @AfterAll
    void stop() throws IOException {
        if (warm != null) warm.close();
        if (cold != null) cold.close();
        if (net != null) net.close();
        for (String parent : List.of(warmParent, coldParent)) {
            for (String c : List.of("memory", "cpu", "pids", "freezer", "")) Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, parent));
        }
    }

    JsonNode pool() throws Exception {
        return TestNetwork.json(net.get(URI.create(warm.url() + "/about"))).path("executor_details").path("warm_pool");
    }

    void awaitReadySlots(int n) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> pool().path("ready").asInt() == n);
    }

    long served() throws Exception {
        return pool().path("served").asLong();
    }

    JsonNode get(CrnNode crn, String hash, String rest) throws Exception {
        HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + hash + rest));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestNetwork.json(r);
    }

    /** The cgroup (v1 memory or v2) directory holding the program {@code hash}, whose watchdog's child is recorded in run/ID.pid. */
    static Path cgroupOf(Path crnDir, String parent, String hash) throws IOException {
        List<Path> pids;
        try (Stream<Path> s = Files.list(crnDir.resolve("run"))) {
            pids = s.filter(p -> p.getFileName().toString().endsWith(".pid") && p.getFileName().toString().startsWith(hash.substring(0, 12)))
                    .toList();
        }
        assertThat(pids).hasSize(1);
        String pid = Files.readString(pids.get(0)).strip();
        Path base = Files.isDirectory(Path.of("/sys/fs/cgroup/memory")) ? Path.of("/sys/fs/cgroup/memory", parent)
                : Path.of("/sys/fs/cgroup", parent);
        try (Stream<Path> s = Files.list(base)) {
            for (Path d : s.filter(Files::isDirectory).toList()) {
                if (Files.readAllLines(d.resolve("cgroup.procs")).contains(pid)) return d;
            }
        }
        throw new AssertionError("no cgroup holds " + pid);
    }

    static String limit(Path memCgroup, String v1File, String v2File) throws IOException {
        Path v1 = memCgroup.resolve(v1File);
        return Files.readString(Files.exists(v1) ? v1 : memCgroup.resolve(v2File)).strip();
    }

    static String cpuQuota(Path memCgroup) throws IOException {
        Path cpu = Path.of(memCgroup.toString().replace("/sys/fs/cgroup/memory/", "/sys/fs/cgroup/cpu/"));
        return Files.exists(cpu.resolve("cpu.cfs_quota_us")) ? Files.readString(cpu.resolve("cpu.cfs_quota_us")).strip()
                : Files.readString(memCgroup.resolve("cpu.max")).strip().split(" ")[0];
    }

    @Test
    void aProgramInAWarmSlotSeesWhatItSeesOnAColdStart() throws Exception {
        String hash = net.program(net.zipProgram(code, "main:app").memory(128).vcpus(2).internet(true)
                .variables(Map.of("GREETING", "hello")));
        long before = served();
        JsonNode w = get(warm, hash, "/");
        assertThat(served()).as("started from a warm slot").isEqualTo(before + 1);
        JsonNode c = get(cold, hash, "/");

        // the environment: the same variables, the execution's id aside; nothing of the node or the runner
        Map<String, String> we = env(w);
        Map<String, String> ce = env(c);
        assertThat(we.remove("ALEPH4J_EXECUTION")).isNotEqualTo(ce.remove("ALEPH4J_EXECUTION"));
        assertThat(we).isEqualTo(ce).containsEntry("GREETING", "hello").doesNotContainKey("ALEPH4J_WARM_PAD");
        assertThat(strip(w.path("proc_environ"))).isEqualTo(strip(c.path("proc_environ")));
        assertThat(w.path("proc_environ").toString()).doesNotContain("ALEPH4J_WARM_PAD").contains("GREETING=hello");
        for (String k : List.of("cmdline", "argv", "path0", "cwd", "code", "code_writable", "data", "tmp", "stdin", "seccomp",
                "no_new_privs", "cap_eff", "cap_bnd", "routes", "default_route", "interfaces", "hostname", "etc_hostname",
                "resolv", "groups", "processes", "other_uids", "guest_socket")) {
            assertThat(w.path(k)).as(k).isEqualTo(c.path(k));
        }
        assertThat(w.path("hostname").asText()).isEqualTo(we.get("ALEPH_ADDRESS_TO_USE"));
        assertThat(w.path("default_route").asBoolean()).isTrue();
        assertThat(w.path("code").toString()).contains("main.py");
        assertThat(w.path("guest_socket").asBoolean()).isTrue();
        // its own uid, in /etc/passwd, as a cold start's; only the addresses of the two sandboxes differ
        int uid = w.path("uid").asInt();
        assertThat(uid).isBetween(UidPool.BASE, UidPool.BASE + UidPool.SIZE - 1).isNotEqualTo(c.path("uid").asInt());
        assertThat(w.path("gid").asInt()).isEqualTo(uid);
        assertThat(w.path("passwd").asText().replace(Integer.toString(uid), "UID"))
                .isEqualTo(c.path("passwd").asText().replace(c.path("uid").asText(), "UID"));
        assertThat(w.path("hosts").asText().replaceAll("10\\.213\\.\\d+\\.\\d+", "IP"))
                .isEqualTo(c.path("hosts").asText().replaceAll("10\\.213\\.\\d+\\.\\d+", "IP"));
        // its resources: 128 MiB (a child touching 200 MiB is killed, one touching 16 MiB is not) and 2 vCPUs
        assertThat(get(warm, hash, "/alloc/200").path("returncode").asInt()).isEqualTo(get(cold, hash, "/alloc/200").path("returncode").asInt())
                .isNotZero();
        assertThat(get(warm, hash, "/alloc/16").path("returncode").asInt()).isZero();
        Path wcg = cgroupOf(warmDir, warmParent, hash);
        Path ccg = cgroupOf(dir.resolve("cold"), coldParent, hash);
        assertThat(wcg.getFileName().toString()).startsWith("warm-");
        assertThat(limit(wcg, "memory.limit_in_bytes", "memory.max")).isEqualTo(limit(ccg, "memory.limit_in_bytes", "memory.max"))
                .isEqualTo(Long.toString(128L << 20));
        assertThat(cpuQuota(wcg)).isEqualTo(cpuQuota(ccg)).isEqualTo("200000");
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> env(JsonNode report) {
        return new java.util.TreeMap<>(org.aleph4j.message.Json.MAPPER.convertValue(report.path("env"), Map.class));
    }

    static Set<String> strip(JsonNode environ) {
        Set<String> s = new HashSet<>();
        environ.forEach(v -> {
            if (!v.asText().startsWith("ALEPH4J_EXECUTION=")) s.add(v.asText());
        });
        return s;
    }

    @Test
    void twoProgramsNeverShareASlotAndAStoppedProgramsSlotIsDestroyedAndReplaced() throws Exception {
        String a = net.program(net.zipProgram(code, "main:app").memory(128).name("a"));
        String b = net.program(net.zipProgram(code, "main:app").memory(128).name("b"));
        awaitReadySlots(2);
        long before = served();
        JsonNode ra = get(warm, a, "/");
        Path slotA = cgroupOf(warmDir, warmParent, a);
        String slotId = slotA.getFileName().toString();
        String record = Files.readString(warmDir.resolve("run").resolve(slotId + ".sandbox")).strip();
        String netns = record.split("\\s+")[0];
        JsonNode rb = get(warm, b, "/");
        assertThat(served()).isEqualTo(before + 2);
        assertThat(ra.path("uid").asInt()).isNotEqualTo(rb.path("uid").asInt());
        assertThat(ra.path("hostname").asText()).isNotEqualTo(rb.path("hostname").asText());
        assertThat(ra.path("env").path("ALEPH4J_ITEM_HASH").asText()).isEqualTo(a);
        assertThat(rb.path("env").path("ALEPH4J_ITEM_HASH").asText()).isEqualTo(b);
        // the pool refills behind the two takes
        awaitReadySlots(2);
        // idle for 4 s: stopped, and everything of its slot is gone
        Path uidFile = Path.of("/run/aleph4j-uids", ra.path("uid").asText());
        assertThat(uidFile).exists();
        assertThat(Path.of("/run/netns", netns)).exists();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> !Files.exists(slotA));
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(uidFile) && !Files.exists(Path.of("/run/netns", netns))
                && !Files.exists(warmDir.resolve("executions").resolve(slotId))
                && !Files.exists(warmDir.resolve("run").resolve(slotId + ".sandbox")));
        assertThat(TestNetwork.programProcesses(a)).isEmpty();
        // its next request gets another slot
        long again = served();
        get(warm, a, "/");
        assertThat(served()).isEqualTo(again + 1);
        assertThat(cgroupOf(warmDir, warmParent, a).getFileName().toString()).startsWith("warm-").isNotEqualTo(slotId);
    }

    /** No program running on the warm node: every box in its sandbox directory is then a ready slot's. */
    void awaitNoPrograms() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            try (Stream<Path> s = Files.list(warmDir.resolve("run"))) {
                return s.noneMatch(p -> p.getFileName().toString().endsWith(".pid"));
            }
        });
    }

    @Test
    void aProgramCannotSeeAnotherSlotsCodeLogsOrPipe() throws Exception {
        awaitNoPrograms();
        awaitReadySlots(2);
        List<Path> readyCode = new ArrayList<>();
        try (Stream<Path> s = Files.list(warmDir.resolve("sandbox"))) {
            for (Path box : s.toList()) readyCode.add(box.resolve("code"));
        }
        // before assignment a slot's code directory is root's, empty, and not writable by anyone else
        for (Path c : readyCode) {
            assertThat(Files.getOwner(c).getName()).isEqualTo("root");
            assertThat(Files.getPosixFilePermissions(c)).doesNotContain(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);
            try (Stream<Path> s = Files.list(c)) {
                assertThat(s.toList()).isEmpty();
            }
        }
        String hostile = net.program(net.zipProgram(code, "main:app").memory(128).name("peek"));
        get(warm, hostile, "/");
        List<String> paths = new ArrayList<>();
        for (Path c : readyCode) paths.add(c.toString());
        paths.add(warmDir.resolve("run").resolve("warm").toString());
        paths.add(warmDir.resolve("executions").toString());
        for (String p : paths) {
            JsonNode r = get(warm, hostile, "/peek?path=" + URLEncoder.encode(p, StandardCharsets.UTF_8));
            assertThat(r.path("exists").asBoolean()).as(p + ": " + r).isFalse();
        }
        // the other slots' runners (another uid, another pid namespace) are not even listed
        JsonNode report = get(warm, hostile, "/");
        assertThat(report.path("other_uids").size()).as(report.toString()).isZero();
    }

    @Test
    void programsASlotCannotRunExactlyTakeTheColdPath() throws Exception {
        awaitReadySlots(2);
        long before = served();
        String hashSeed = net.program(net.zipProgram(code, "main:app").memory(128).variables(Map.of("PYTHONHASHSEED", "0")));
        JsonNode r = get(warm, hashSeed, "/");
        assertThat(r.path("env").path("PYTHONHASHSEED").asText()).isEqualTo("0");
        String binary = net.program(net.zipProgram(net.store(net.user(), SamplePrograms.binaryZip("bin"), null), "run.sh").memory(128));
        assertThat(net.get(URI.create(warm.url() + "/vm/" + binary + "/")).statusCode()).isEqualTo(200);
        String shadow = net.program(net.zipProgram(net.storeZip(Map.of("main.py", "from fastapi import FastAPI\napp = FastAPI()\n"
                + "@app.get('/')\ndef r():\n    import multipart\n    return {'module': multipart.__file__}\n", "multipart.py", "# the program's own multipart\n")),
                "main:app").memory(128));
        // preloaded by the runner: only a cold start imports the program's own
        assertThat(get(warm, shadow, "/").path("module").asText()).isEqualTo("/opt/code/multipart.py");
        assertThat(served()).isEqualTo(before);
    }

    @Test
    void warmPoolZeroIsTheColdPath() throws Exception {
        JsonNode about = TestNetwork.json(net.get(URI.create(cold.url() + "/about")));
        assertThat(about.path("executor_details").has("warm_pool")).isFalse();
        assertThat(dir.resolve("cold").resolve("run").resolve("warm")).doesNotExist();
        String hash = net.program(net.zipProgram(code, "main:app").memory(128).name("cold-only"));
        get(cold, hash, "/");
        try (Stream<Path> s = Files.list(dir.resolve("cold").resolve("executions"))) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("warm-")).toList()).isEmpty();
        }
    }
}
