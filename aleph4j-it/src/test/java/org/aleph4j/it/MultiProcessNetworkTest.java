package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every role in its own process (a CCN, a scheduler, three CRNs started with {@code bin/aleph-node}):
 * the tutorial passes, and a persistent program survives {@code kill -9} and {@code SIGSTOP} of the
 * CRN that runs it without two epochs ever running at the same time.
 */
class MultiProcessNetworkTest extends TutorialContract {
    @TempDir static Path tmp;
    static NodeProcess ccnNode;
    static NodeProcess schedulerNode;
    static final NodeProcess[] crnNodes = new NodeProcess[3];
    static final List<String[]> crnArgs = new ArrayList<>();
    static Map<String, String> env;

    @BeforeAll
    static void startNetwork() throws Exception {
        dir = tmp;
        int base = Http.freePorts(5);
        ccn = "http://127.0.0.1:" + base;
        scheduler = "http://127.0.0.1:" + (base + 1);
        crns = List.of("http://127.0.0.1:" + (base + 2), "http://127.0.0.1:" + (base + 3), "http://127.0.0.1:" + (base + 4));
        EthAccount oracle = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("oracle.key"), oracle, false);
        List<String> crnAddresses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            EthAccount k = EthAccount.generate(new SecureRandom());
            KeyFiles.write(dir.resolve("crn-" + i + ".key"), k, false);
            crnAddresses.add(k.address());
        }
        // The scheduler's signing key is made here, so its address can be given to the CRNs it leases to.
        EthAccount schedulerKey = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("scheduler.key"), schedulerKey, false);
        env = new HashMap<>(Map.of("ALEPH_HOME", dir.resolve("aleph-home").toString(),
                "ALEPH_CCN_URL", ccn, "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", crns.get(0)));

        ccnNode = NodeProcess.start("ccn", dir.resolve("ccn.log"), env, "aleph-node", "ccn", "--data",
                dir.resolve("ccn").toString(), "--port", String.valueOf(base), "--oracle-addresses", oracle.address());
        ccnNode.awaitLog("aleph4j ccn ready", Duration.ofSeconds(120));
        schedulerNode = NodeProcess.start("scheduler", dir.resolve("scheduler.log"), env, "aleph-node", "scheduler",
                "--data", dir.resolve("scheduler").toString(), "--port", String.valueOf(base + 1), "--ccn-url", ccn,
                "--allowed-nodes", String.join(",", crnAddresses), "--require-isolation=false",
                "--key-file", dir.resolve("scheduler.key").toString());
        for (int i = 0; i < 3; i++) {
            crnArgs.add(new String[] {"crn", "--data", dir.resolve("crn-" + i).toString(), "--port", String.valueOf(base + 2 + i),
                    "--ccn-url", ccn, "--scheduler-url", scheduler, "--scheduler-addresses", schedulerKey.address(),
                    "--key-file", dir.resolve("crn-" + i + ".key").toString(),
                    // The failover tests' program records its epochs in a file of this test: the process
                    // executor lets it write there (the devnet test runs the tutorial under the default executor).
                    "--executor", "process"});
            crnNodes[i] = startCrn(i);
        }
        schedulerNode.awaitLog("aleph4j scheduler ready", Duration.ofSeconds(120));
        for (NodeProcess crn : crnNodes) crn.awaitLog("aleph4j crn ready", Duration.ofSeconds(120));

        EthAccount user = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("aleph-home/private-keys/ethereum.key"), user, false);
        try (NodeProcess fund = NodeProcess.start("fund", dir.resolve("fund.log"), env, "aleph-node", "fund", "--ccn-url", ccn,
                "--oracle-key", dir.resolve("oracle.key").toString(), user.address())) {
            fund.awaitLog("funded " + user.address(), Duration.ofSeconds(60));
        }
        cli = new Cli(Files.createDirectories(dir.resolve("work")), env);
    }

    static NodeProcess startCrn(int i) throws IOException {
        return NodeProcess.start("crn-" + i, dir.resolve("crn-" + i + ".log"), env, "aleph-node", crnArgs.get(i));
    }

    @AfterAll
    static void stopNetwork() {
        for (NodeProcess crn : crnNodes) if (crn != null) crn.close();
        if (schedulerNode != null) schedulerNode.close();
        if (ccnNode != null) ccnNode.close();
        if (recordFile != null) {
            try {
                Files.deleteIfExists(recordFile);
                Files.deleteIfExists(recordFile.getParent());
            } catch (java.io.IOException ignored) {
                // /tmp is cleaned anyway
            }
        }
    }

    static String recorderHash;
    static Path recordFile;

    @Test
    @Order(10)
    void killNineOfTheHoldingCrnMovesTheProgramAndTheRestartedCrnDoesNotRunItAgain() throws Exception {
        // the program runs as its execution's own user (the node is root): the record must be writable by
        // any user, in a directory every user can pass through
        Path shared = Files.createTempDirectory(Path.of("/tmp"), "aleph4j-record-");
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        recordFile = Files.createFile(shared.resolve("record.txt"));
        Files.setPosixFilePermissions(recordFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Path code = Files.createDirectories(dir.resolve("work/recorder"));
        for (String f : List.of("run.sh", "recorder.py")) {
            try (var in = getClass().getResourceAsStream("/recorder/" + f)) {
                Files.write(code.resolve(f), in.readAllBytes());
            }
        }
        code.resolve("run.sh").toFile().setExecutable(true);
        Cli.Result upload = cli.runArgs("program", "upload", "--persistent", "./recorder/", "run.sh", "--env-vars",
                "RECORD_FILE=" + recordFile);
        assertThat(upload.exit()).as(upload.toString()).isZero();
        recorderHash = upload.firstHash();
        int holder = awaitHolder(recorderHash, -1, Duration.ofSeconds(60));
        long firstEpoch = servedEpoch(recorderHash);

        long killedAt = System.nanoTime();
        ProcessHandle.of(crnNodes[holder].pid()).ifPresent(ProcessHandle::destroyForcibly);
        int next = awaitHolder(recorderHash, holder, Duration.ofSeconds(40));
        await("served by the new holder").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> servedEpochOn(crns.get(next), recorderHash) > firstEpoch);
        System.out.printf("failover after kill -9: %.1f s%n", (System.nanoTime() - killedAt) / 1e9);
        assertNoEpochsOverlap();

        crnNodes[holder] = startCrn(holder);
        crnNodes[holder].awaitLog("aleph4j crn ready", Duration.ofSeconds(120));
        awaitSeconds(4);
        assertThat(Http.get(crns.get(holder) + "/about/executions/list").body()).doesNotContain(recorderHash);
        assertThat(runningOn(recorderHash)).containsExactly(crns.get(next));
        assertNoEpochsOverlap();
    }

    @Test
    @Order(11)
    void aFrozenCrnFencesItselfBeforeTheSchedulerMovesTheProgram() throws Exception {
        int holder = awaitHolder(recorderHash, -1, Duration.ofSeconds(30));
        long epoch = servedEpoch(recorderHash);
        signal("STOP", crnNodes[holder].pid());
        try {
            int next = awaitHolder(recorderHash, holder, Duration.ofSeconds(40));
            await("served by the new holder").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> servedEpochOn(crns.get(next), recorderHash) > epoch);
        } finally {
            signal("CONT", crnNodes[holder].pid());
        }
        assertNoEpochsOverlap();
        awaitSeconds(4);
        assertThat(Http.get(crns.get(holder) + "/about/executions/list").body()).doesNotContain(recorderHash);
        assertNoEpochsOverlap();
    }

    /** Index of the CRN the scheduler allocated {@code hash} to, once it differs from {@code not}. */
    static int awaitHolder(String hash, int not, Duration timeout) {
        int[] found = {-1};
        await("allocation of " + hash).atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            Http.Response r = Http.get(scheduler + "/api/v0/allocation/" + hash);
            if (r.status() != 200) return false;
            String url = r.json().path("node").path("url").asText();
            for (int i = 0; i < crns.size(); i++) {
                if (i != not && url.startsWith(crns.get(i))) {
                    found[0] = i;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    static long servedEpoch(String hash) {
        long[] epoch = {-1};
        await("program answers").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            epoch[0] = servedEpochOn(crns.get(0), hash);
            return epoch[0] > 0;
        });
        return epoch[0];
    }

    static long servedEpochOn(String crn, String hash) {
        Http.Response r = Http.get(crn + "/vm/" + hash + "/");
        if (r.status() != 200) return -1;
        String e = r.json().path("epoch").asText();
        return e.matches("\\d+") ? Long.parseLong(e) : -1;
    }

    /** Running intervals per epoch from the program's own records; no two may overlap. */
    static void assertNoEpochsOverlap() throws IOException {
        Map<Long, double[]> spans = new TreeMap<>();
        for (String line : Files.readAllLines(recordFile)) {
            String[] p = line.trim().split(" ");
            if (p.length < 3 || !p[0].matches("\\d+")) continue;
            double t = Double.parseDouble(p[2]);
            spans.merge(Long.parseLong(p[0]), new double[] {t, t}, (a, b) -> new double[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
        }
        assertThat(spans).as("epochs recorded").isNotEmpty();
        List<double[]> ordered = spans.values().stream().sorted((a, b) -> Double.compare(a[0], b[0])).toList();
        for (int i = 1; i < ordered.size(); i++) {
            assertThat(ordered.get(i)[0]).as("epochs %s: each starts after the previous one stopped", spans.keySet().stream()
                    .map(e -> e + "=[" + spans.get(e)[0] + "," + spans.get(e)[1] + "]").collect(Collectors.joining(" ")))
                    .isGreaterThan(ordered.get(i - 1)[1]);
        }
    }

    static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, String.valueOf(pid)).inheritIO().start();
        assertThat(p.waitFor()).isZero();
    }

    /** Lets time pass for a fixed observation window (a bound, not a wait for a condition). */
    static void awaitSeconds(int s) {
        long until = System.nanoTime() + s * 1_000_000_000L;
        await().atMost(Duration.ofSeconds(s + 5)).pollInterval(Duration.ofMillis(200)).until(() -> System.nanoTime() >= until);
    }
}
