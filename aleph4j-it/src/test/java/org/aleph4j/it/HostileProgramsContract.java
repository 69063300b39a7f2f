package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile programs against a devnet of one CRN running the executor a subclass names, attacking
 * only through the public path: {@code aleph program upload} (the CLI as a separate process), then
 * HTTP requests to the CRN. Each test asserts what the attacker observed and that the node is
 * unchanged. Needs root (per-execution users, the sandbox); under {@code ALEPH4J_REQUIRE_SANDBOX=1}
 * (CI) a host that cannot run it fails instead of skipping.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class HostileProgramsContract {
    static final ObjectMapper JSON = new ObjectMapper();
    /** UidPool's range in aleph4j-crn: every execution's user is from there. */
    static final long UID_BASE = 200_000_000L;
    static final long UID_SIZE = 65_536L;

    Path tmp;
    NodeProcess devnet;
    Cli cli;
    String ccn;
    String crn;
    Path crnData;

    /** {@code sandbox} or {@code process}: the devnet's executor. */
    abstract String executor();

    @BeforeAll
    void startDevnet(@TempDir Path dir) throws Exception {
        tmp = dir;
        boolean root = "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip());
        boolean bwrap = Files.isExecutable(Path.of("/usr/bin/bwrap"));
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) {
            assertThat(root && bwrap).as("ALEPH4J_REQUIRE_SANDBOX=1: the hostile-program suite needs root and bubblewrap").isTrue();
        }
        Assumptions.assumeTrue(root && bwrap, "the hostile-program suite needs root and bubblewrap (the sandbox executor)");
        int base = Http.freePorts(3);
        ccn = "http://127.0.0.1:" + base;
        crn = "http://127.0.0.1:" + (base + 2);
        Map<String, String> env = Map.of("ALEPH_HOME", tmp.resolve("aleph-home").toString(), "ALEPH_CCN_URL", ccn,
                "ALEPH_SCHEDULER_URL", "http://127.0.0.1:" + (base + 1), "ALEPH_CRN_URL", crn);
        Path data = tmp.resolve("devnet");
        crnData = data.resolve("crn-1");
        devnet = NodeProcess.start("devnet", tmp.resolve("devnet.log"), env, "aleph-node", "devnet", "--data", data.toString(),
                "--crns", "1", "--executor", executor(), "--ccn-port", String.valueOf(base),
                "--scheduler-port", String.valueOf(base + 1), "--crn-port", String.valueOf(base + 2));
        devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
        cli = new Cli(Files.createDirectories(tmp.resolve("work")), env);
        assertThat(json(Http.get(crn + "/about")).path("executor").asText()).isEqualTo(executor());
    }

    @AfterAll
    void stopDevnet() {
        if (devnet != null) devnet.close();
    }

    // ------------------------------------------------------------------ helpers

    static JsonNode json(Http.Response r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }

    /** The hostile program's sources in a fresh directory, as a user would have them. */
    Path hostileSources(String name) throws IOException {
        Path src = Files.createDirectories(tmp.resolve("work").resolve(name));
        for (String f : List.of("run.sh", "hostile.py", "sitecustomize.py")) {
            try (InputStream in = getClass().getResourceAsStream("/hostile/" + f)) {
                Files.write(src.resolve(f), in.readAllBytes());
            }
        }
        src.resolve("run.sh").toFile().setExecutable(true, false);
        return src;
    }

    String upload(String... args) throws Exception {
        Cli.Result r = cli.runArgs(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        uploaded.add(r.firstHash());
        return r.firstHash();
    }

    /** Programs a test uploaded, deleted after it as their owner would: they would otherwise fill the node. */
    final List<String> uploaded = new ArrayList<>();

    @AfterEach
    void deleteUploadedPrograms() throws Exception {
        for (String hash : uploaded) cli.runArgs("program", "delete", hash);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            String running = Http.get(crn + "/about/executions/list").body();
            return uploaded.stream().noneMatch(running::contains);
        });
        uploaded.clear();
    }

    JsonNode call(String hash, String path) {
        return json(Http.get(crn + "/vm/" + hash + path));
    }

    /** The sha256 of a program's code file, read from the CCN as anyone can. */
    String codeFileHash(String programHash) {
        String ref = json(Http.get(ccn + "/api/v0/messages/" + programHash)).path("message").path("content")
                .path("code").path("ref").asText();
        return json(Http.get(ccn + "/api/v0/messages/" + ref)).path("message").path("content").path("item_hash").asText();
    }

    record HostProcess(long pid, long uid, String cmdline, String environ) {}

    static HostProcess read(ProcessHandle p) {
        try {
            Path proc = Path.of("/proc", Long.toString(p.pid()));
            long uid = -1;
            for (String l : Files.readAllLines(proc.resolve("status"))) {
                if (l.startsWith("Uid:")) uid = Long.parseLong(l.split("\\s+")[1]);
            }
            String cmd = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
            String env = new String(Files.readAllBytes(proc.resolve("environ")), StandardCharsets.UTF_8).replace('\0', '\n');
            return new HostProcess(p.pid(), uid, cmd, env);
        } catch (IOException | RuntimeException e) {
            return null; // exited meanwhile
        }
    }

    /** The watchdog of {@code hash}'s execution and every process under it, as the host sees them. */
    static List<HostProcess> processTree(String hash) {
        List<HostProcess> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            HostProcess hp = read(p);
            if (hp == null || !hp.cmdline().contains("watchdog.py") || !hp.cmdline().contains("/logs/" + hash + "/")) return;
            out.add(hp);
            p.descendants().map(HostileProgramsContract::read).filter(java.util.Objects::nonNull).forEach(out::add);
        });
        return out;
    }

    static List<HostProcess> processesOfUid(long uid) {
        return ProcessHandle.allProcesses().map(HostileProgramsContract::read).filter(p -> p != null && p.uid() == uid).toList();
    }

    // ------------------------------------------------------------------ 1. environment

    @Test
    void programVariablesReachOnlyTheProgramNeverAHostSideProcess() throws Exception {
        Path src = hostileSources("env-attack");
        String first = upload("program", "upload", src.toString(), "run.sh");
        assertThat(call(first, "/").path("hello").asBoolean()).isTrue();
        // the CRN's unpacked copy of that code, where a host-side interpreter would find sitecustomize.py
        String sha = codeFileHash(first);
        Path cached;
        try (Stream<Path> s = Files.list(crnData.resolve("code"))) {
            cached = s.filter(p -> p.getFileName().toString().startsWith(sha + "-")).findFirst().orElseThrow();
        }
        assertThat(cached.resolve("sitecustomize.py")).exists();
        Path mark = tmp.resolve("pwned-by-sitecustomize");
        String pythonPath = cached + ":../code/" + cached.getFileName() + ":../../code/" + cached.getFileName();
        String attack = upload("program", "upload", src.toString(), "run.sh", "--env-vars",
                "PYTHONPATH=" + pythonPath + ",MARK=" + mark + ",LD_PRELOAD=" + cached.resolve("hostile.py")
                        + ",PYTHONSTARTUP=" + cached.resolve("sitecustomize.py"));
        JsonNode me = call(attack, "/me");

        // the program has its variables, as its own user
        assertThat(me.path("env").toString()).contains("MARK", "PYTHONPATH", "LD_PRELOAD");
        assertThat(me.path("uid").asLong()).isBetween(UID_BASE, UID_BASE + UID_SIZE - 1);
        assertThat(me.path("sitecustomize_ran_as").asText("none")).isNotEqualTo("0");
        // no host-side process imported the program's file: nothing was written on the host
        assertThat(mark).doesNotExist();

        List<HostProcess> tree = processTree(attack);
        assertThat(tree).as("the execution's processes on the host").isNotEmpty();
        List<HostProcess> hostSide = tree.stream().filter(p -> p.uid() == 0).toList();
        List<HostProcess> program = tree.stream().filter(p -> p.uid() >= UID_BASE).toList();
        assertThat(hostSide).as("the watchdog (and bwrap), running as root").isNotEmpty();
        assertThat(program).as("the program, as its own user").isNotEmpty();
        assertThat(program).anySatisfy(p -> assertThat(p.environ()).contains("MARK=" + mark));
        for (HostProcess p : hostSide) {
            assertThat(p.environ()).as("environment of host-side process " + p.cmdline())
                    .doesNotContain("MARK=").doesNotContain("PYTHONPATH").doesNotContain("LD_PRELOAD")
                    .doesNotContain("PYTHONSTARTUP");
        }
        assertThat(json(Http.get(crn + "/about")).path("executor").asText()).isEqualTo(executor());
    }

    @Test
    void variableNamesThatCouldBeMisreadAreRefusedWithAClearError() throws Exception {
        Path src = hostileSources("bad-var");
        // `env -u=PATH` would read as an option, `A=B=C` as another assignment: either is refused
        Cli.Result up = cli.runArgs("program", "upload", src.toString(), "run.sh", "--env-vars=-u=PATH");
        if (up.exit() != 0) {
            assertThat(up.err()).as(up.toString()).contains("-u");
            return;
        }
        String hash = up.firstHash();
        Http.Response r = Http.get(crn + "/vm/" + hash + "/me");
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("not a valid environment variable name");
        assertThat(processTree(hash)).isEmpty();
    }

    // ------------------------------------------------------------------ 6. identity

    @Test
    void eachExecutionHasItsOwnUserNoCapabilitiesAndTheKernelInterfacesAreDenied() throws Exception {
        Path src = hostileSources("identity");
        String a = upload("program", "upload", src.toString(), "run.sh", "--name", "a");
        String b = upload("program", "upload", src.toString(), "run.sh", "--name", "b", "--env-vars", "X=1");
        JsonNode meA = call(a, "/me");
        JsonNode meB = call(b, "/me");
        assertThat(meA.path("uid").asLong()).isBetween(UID_BASE, UID_BASE + UID_SIZE - 1).isNotEqualTo(meB.path("uid").asLong());
        assertThat(meA.path("euid").asLong()).isEqualTo(meA.path("uid").asLong());
        assertThat(meA.path("groups").size()).isZero();
        JsonNode st = meA.path("status");
        assertThat(st.path("CapEff").asText()).isEqualTo("0000000000000000");
        assertThat(st.path("CapPrm").asText()).isEqualTo("0000000000000000");
        assertThat(st.path("CapBnd").asText()).isEqualTo("0000000000000000");
        assertThat(st.path("NoNewPrivs").asText()).isEqualTo("1");
        assertThat(st.path("Seccomp").asText()).isEqualTo("2");

        JsonNode k = call(a, "/kernel");
        assertThat(k.path("unshare_user").path("exit").asInt()).as(k.toString()).isNotZero();
        assertThat(k.path("unshare_mount").path("exit").asInt()).as(k.toString()).isNotZero();
        for (String call : List.of("keyctl", "bpf", "perf_event_open", "kexec_load", "mount", "setns", "userfaultfd", "io_uring_setup")) {
            assertThat(k.path(call).path("ret").asInt()).as(call + ": " + k.path(call)).isEqualTo(-1);
            assertThat(k.path(call).path("errno").asText()).as(call).isIn("EPERM", "ENOSYS");
        }
        // the filter answers EPERM: proof it is ours, not a missing kernel feature
        assertThat(k.path("keyctl").path("errno").asText()).isEqualTo("EPERM");
        assertThat(k.path("bpf").path("errno").asText()).isEqualTo("EPERM");
    }

    @Test
    void nodeAndOracleKeysLogsAndOtherProgramsDataAreOutOfReach() throws Exception {
        Path src = hostileSources("keys");
        String victim = upload("program", "upload", src.toString(), "run.sh", "--name", "victim");
        call(victim, "/fill"); // leaves the victim running with a work directory
        String thief = upload("program", "upload", src.toString(), "run.sh", "--name", "thief");
        Path devnet = crnData.getParent();
        List<Path> secrets = List.of(crnData.resolve("node.key"), devnet.resolve("oracle.key"),
                tmp.resolve("aleph-home/private-keys/ethereum.key"));
        for (Path k : secrets) assertThat(k).as("the secret the attack goes for").exists();
        StringBuilder q = new StringBuilder("/read?");
        for (Path k : secrets) q.append("file=").append(k).append('&');
        for (Path d : List.of(crnData, crnData.resolve("logs"), crnData.resolve("executions"), crnData.resolve("run"),
                crnData.resolve("files"))) {
            q.append("dir=").append(d).append('&');
        }
        try (Stream<Path> s = Files.list(crnData.resolve("logs"))) {
            s.forEach(d -> q.append("file=").append(d.resolve("stdout.log")).append('&'));
        }
        try (Stream<Path> s = Files.list(crnData.resolve("executions"))) {
            // every work directory but the thief's own (an execution id starts with its program's hash)
            s.filter(d -> !d.getFileName().toString().startsWith(thief.substring(0, 12)))
                    .forEach(d -> q.append("dir=").append(d).append('&'));
        }
        JsonNode r = call(thief, q.toString());
        assertThat(r.size()).isGreaterThan(8);
        r.fields().forEachRemaining(e -> assertThat(e.getValue().path("ok").asBoolean())
                .as("the thief reading " + e.getKey() + ": " + e.getValue()).isFalse());
    }

    // ------------------------------------------------------------------ 2. code archives

    @Test
    void aCodeImageWithDevicesFifosSetIdFilesAndLinksToTheHostGivesNothingOfTheHost() throws Exception {
        Path src = hostileSources("image");
        Files.createSymbolicLink(src.resolve("hostroot"), Path.of("/"));
        Files.createSymbolicLink(src.resolve("passwd"), Path.of("/etc/passwd"));
        Files.copy(src.resolve("run.sh"), src.resolve("suid"));
        Path image = tmp.resolve("hostile.squashfs");
        // pseudo definitions: a world-writable /dev/mem-like char device, a fifo, and the setuid bit, all owned by root
        Process mk = new ProcessBuilder("mksquashfs", src.toString(), image.toString(), "-noappend", "-quiet", "-no-progress",
                "-p", "disk c 666 root root 1 1", "-p", "fifo i 666 root root f", "-p", "suid m 6755 root root")
                .redirectErrorStream(true).start();
        String mkOut = new String(mk.getInputStream().readAllBytes());
        assertThat(mk.waitFor()).as(mkOut).isZero();

        String hash = upload("program", "upload", image.toString(), "run.sh");
        Http.Response r = Http.get(crn + "/vm/" + hash + "/code");
        if (r.status() == 200) {
            JsonNode code = json(r);
            JsonNode entries = code.path("entries");
            entries.fields().forEachRemaining(e -> {
                int mode = Integer.parseInt(e.getValue().path("mode").asText().substring(2), 8);
                int type = mode & 0170000;
                assertThat(type).as("file type of " + e.getKey()).isIn(0100000, 0040000, 0120000);
                assertThat(mode & 06000).as("set-id bits of " + e.getKey()).isZero();
            });
            assertThat(code.path("reads").path("disk").path("ok").asBoolean()).isFalse();
            assertThat(code.path("reads").path("fifo").path("ok").asBoolean()).isFalse();
            // a link out of the code either is gone or points into the sandbox's own root, which has no host directories
            JsonNode hostroot = code.path("reads").path("hostroot/work");
            assertThat(hostroot.path("ok").asBoolean()).as(hostroot.toString()).isFalse();
        } else {
            // refusing the image outright is as good, as long as it says why
            assertThat(r.status()).as(r.body()).isEqualTo(400);
        }
        // the node's copy holds no device, fifo or set-id file either
        try (Stream<Path> s = Files.walk(crnData.resolve("code"))) {
            s.forEach(p -> {
                try {
                    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
                    assertThat(mode & 0170000).as("file type of " + p).isIn(0100000, 0040000, 0120000);
                    assertThat(mode & 06000).as("set-id bits of " + p).isZero();
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    // ------------------------------------------------------------------ 3. lifetime

    @Test
    void aDaemonThatLeftTheProcessGroupDiesWithItsExecution() throws Exception {
        Path src = hostileSources("daemon");
        String hash = upload("program", "upload", src.toString(), "run.sh");
        long uid = call(hash, "/me").path("uid").asLong();
        assertThat(call(hash, "/daemon").path("daemon_pid").asText()).isNotBlank();
        // the server and the detached sleeper, both of the execution's user
        await().atMost(Duration.ofSeconds(10)).until(() -> processesOfUid(uid).stream().anyMatch(p -> p.cmdline().startsWith("sleep 600")));

        Cli.Result del = cli.runArgs("program", "delete", hash);
        assertThat(del.exit()).as(del.toString()).isZero();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(processesOfUid(uid)).as("processes of uid " + uid + " after the program was deleted").isEmpty());
        assertThat(processTree(hash)).isEmpty();
    }

    // ------------------------------------------------------------------ 4. exhaustion

    @Test
    void fillingDataAndTmpGivesTheProgramEnospcAndTheNodeNothing() throws Exception {
        Path src = hostileSources("fill");
        String hash = upload("program", "upload", src.toString(), "run.sh", "--memory", "2048");
        long freeBefore = Files.getFileStore(crnData).getUsableSpace();
        JsonNode r = call(hash, "/fill");
        assertThat(r.path("data").path("error").asText()).as(r.toString()).isEqualTo("ENOSPC");
        assertThat(r.path("data").path("mib").asInt()).isLessThanOrEqualTo(1024);
        assertThat(r.path("tmp").path("error").asText()).as(r.toString()).isEqualTo("ENOSPC");
        assertThat(r.path("tmp").path("mib").asInt()).isLessThanOrEqualTo(1024);
        long freeAfter = Files.getFileStore(crnData).getUsableSpace();
        assertThat(freeBefore - freeAfter).as("node disk used by the fill").isLessThan(256L * 1024 * 1024);
        assertThat(call(hash, "/").path("hello").asBoolean()).isTrue();
    }

    @Test
    void aFloodOfOutputWithoutNewlinesIsRelayedInBoundedMemoryAndLogsStayCapped() throws Exception {
        Path src = hostileSources("spew");
        String hash = upload("program", "upload", src.toString(), "run.sh");
        call(hash, "/");
        HostProcess watchdog = processTree(hash).stream().filter(p -> p.cmdline().contains("watchdog.py")).findFirst().orElseThrow();
        long[] maxRss = {0};
        Thread sampler = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                maxRss[0] = Math.max(maxRss[0], rssKiB(watchdog.pid()));
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            assertThat(call(hash, "/spew?mb=256").path("spewed_mib").asInt()).isEqualTo(256);
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        Path logs = crnData.resolve("logs").resolve(hash);
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(logs.resolve("stdout.log.1")));
        long total;
        try (Stream<Path> s = Files.list(logs)) {
            total = s.mapToLong(p -> p.toFile().length()).sum();
        }
        // two files of at most the cap (8 MiB), a little over for the last write
        assertThat(total).as("bytes kept of 256 MiB of output").isLessThan(3L * 8 * 1024 * 1024);
        assertThat(maxRss[0]).as("the watchdog's peak resident memory (KiB) while relaying").isPositive().isLessThan(64 * 1024);
        assertThat(call(hash, "/").path("hello").asBoolean()).isTrue();
        assertThat(Http.get(crn + "/about").status()).isEqualTo(200);
    }

    static long rssKiB(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
            }
        } catch (IOException | RuntimeException ignored) {
            // gone
        }
        return 0;
    }

}
