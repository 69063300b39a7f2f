package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI as an aleph-client user expects it, through {@code bin/aleph} on a devnet of two CRNs
 * (3 s idle timeout): {@code status} says why a crash-looping program does not run,
 * {@code logs} finds the nodes that ran a program by itself (the CLI's configured CRN is down) and
 * prints ISO times, stream tags, the node's markers and what a program wrote while it was stopped,
 * and persist/unpersist round trips work, the old hashes naming their replacement.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliStatusLogsTest {
    static final String LINE = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z (stdout|stderr|node  ) .*";
    static final String APP = """
            from fastapi import FastAPI

            app = FastAPI()


            @app.on_event("shutdown")
            def bye():
                print("bye from the shutdown hook", flush=True)


            @app.get("/")
            async def root():
                return {"message": "Hello World"}
            """;

    Path tmp;
    NodeProcess devnet;
    Cli cli;
    /** The same user, with a configured CRN that does not answer: logs must find the nodes elsewhere. */
    Cli elsewhere;
    String scheduler;
    List<String> crns;

    @BeforeAll
    void startDevnet(@TempDir Path dir) throws Exception {
        tmp = dir;
        int base = Http.freePorts(5);
        scheduler = "http://127.0.0.1:" + (base + 1);
        crns = List.of("http://127.0.0.1:" + (base + 2), "http://127.0.0.1:" + (base + 3));
        Map<String, String> env = Map.of("ALEPH_HOME", tmp.resolve("aleph-home").toString(), "ALEPH_CCN_URL", "http://127.0.0.1:" + base,
                "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", crns.get(0));
        devnet = NodeProcess.start("devnet", tmp.resolve("devnet.log"), env, "aleph-node", "devnet", "--data",
                tmp.resolve("devnet").toString(), "--crns", "2", "--ccn-port", String.valueOf(base),
                "--scheduler-port", String.valueOf(base + 1), "--crn-port", String.valueOf(base + 2), "--idle-timeout", "3s");
        devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
        Path work = Files.createDirectories(tmp.resolve("work"));
        cli = new Cli(work, env);
        Map<String, String> down = new HashMap<>(env);
        down.put("ALEPH_CRN_URL", "http://127.0.0.1:" + (base + 4)); // free, nothing listens
        elsewhere = new Cli(work, down);
    }

    @AfterAll
    void stopDevnet() {
        if (devnet != null) devnet.close();
    }

    Path app(String name, String main) throws Exception {
        Path src = Files.createDirectories(tmp.resolve("work").resolve(name));
        Files.writeString(src.resolve("main.py"), main);
        return src;
    }

    static List<String> lines(Cli.Result r) {
        return r.out().lines().toList();
    }

    @Test
    void aCrashLoopingProgramsStatusSaysWhyAndItsLogsAreFoundOnEveryNodeItTried() throws Exception {
        Cli.Result upload = cli.runArgs("program", "upload", "--persistent", app("typo", "from fastapi import FastAPI\n\napp = FastAPI()\n").toString(),
                "main:ap");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        String hash = upload.firstHash();
        AtomicReference<JsonNode> vm = new AtomicReference<>();
        await("given up everywhere").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            vm.set(Http.get(scheduler + "/api/v1/vms/" + hash).json());
            assertThat(vm.get().path("reason").asText()).startsWith("every matching node was given up");
        });

        Cli.Result status = cli.runArgs("program", "status", hash);
        assertThat(status.exit()).as(status.toString()).isZero();
        String lastError = vm.get().path("last_error").asText().strip().replaceAll("\\s*\\R\\s*", " | ");
        assertThat(lines(status)).contains("State:     " + vm.get().path("status").asText() + " (unschedulable)",
                "Reason:    " + vm.get().path("reason").asText(), "Last error: " + lastError);
        assertThat(lastError).startsWith("crash loop on ").contains("Attribute \"ap\" not found in module \"main\"");

        Cli.Result logs = elsewhere.runArgs("program", "logs", hash);
        assertThat(logs.exit()).as(logs.toString()).isZero();
        List<String> out = lines(logs);
        assertThat(out.get(0)).isEqualTo("Received logs");
        assertThat(out.subList(1, out.size())).allMatch(l -> l.matches(LINE) || l.matches("Logs from http://127\\.0\\.0\\.1:\\d+:"));
        assertThat(out).filteredOn(l -> l.startsWith("Logs from ")).containsExactlyInAnyOrder(
                "Logs from " + crns.get(0) + ":", "Logs from " + crns.get(1) + ":");
        assertThat(out).anyMatch(l -> l.matches(".{24} node   --- started \\(epoch \\d+\\) ---"))
                .anyMatch(l -> l.matches(".{24} node   --- (failed to start|exited): .*"))
                .anyMatch(l -> l.matches(".{24} stderr .*Attribute \"ap\" not found in module \"main\".*"));
    }

    @Test
    void anIdleStoppedProgramsLogsKeepItsShutdownOutputAndRoundTripsNameTheirReplacement() throws Exception {
        Cli.Result upload = cli.runArgs("program", "upload", "--persistent", app("hello", APP).toString(), "main:app");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        String first = upload.firstHash();
        await("persistent program answers").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                .until(() -> Http.get(crns.get(0) + "/vm/" + first + "/").status() == 200);

        Cli.Result unpersist = cli.runArgs("program", "unpersist", first);
        assertThat(unpersist.exit()).as(unpersist.toString()).isZero();
        String second = unpersist.hashAfter("New program:");

        // on demand now: one request starts it on the CRN asked, 3 s later it is stopped for being idle
        await("on-demand program answers").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                .until(() -> Http.get(crns.get(0) + "/vm/" + second + "/").status() == 200);
        AtomicReference<Cli.Result> logs = new AtomicReference<>();
        await("idle stop in the logs").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            logs.set(elsewhere.runArgs("program", "logs", second));
            assertThat(logs.get().exit()).as(logs.get().toString()).isZero();
            assertThat(lines(logs.get())).anyMatch(l -> l.matches(".{24} node   --- stopped: idle for 3 s ---"));
        });
        List<String> out = lines(logs.get());
        assertThat(out.get(0)).isEqualTo("Received logs");
        assertThat(out.subList(1, out.size())).allMatch(l -> l.matches(LINE));
        assertThat(out.get(1)).matches(".{24} node   --- started ---");
        assertThat(out.get(out.size() - 1)).matches(".{24} node   --- stopped: idle for 3 s ---");
        assertThat(out).anyMatch(l -> l.matches(".{24} stderr INFO: +Shutting down"))
                .anyMatch(l -> l.matches(".{24} stdout bye from the shutdown hook"))
                .anyMatch(l -> l.matches(".{24} stderr INFO: +Application shutdown complete\\."));

        // following polls with since= and prints nothing twice
        Cli.Result followed = elsewhere.runArgs("program", "logs", second, "--follow", "--duration", "3");
        assertThat(followed.exit()).as(followed.toString()).isZero();
        assertThat(lines(followed)).containsExactlyElementsOf(out);

        // second replaced first: persisting it again must not be refused (the CCN's "cannot replace a replacement")
        Cli.Result persist = cli.runArgs("program", "persist", second);
        assertThat(persist.exit()).as(persist.toString()).isZero();
        assertThat(persist.out()).contains("Program " + second + " is now persistent.")
                .contains("Previous program: " + second + " -> DELETED");
        String third = persist.hashAfter("New program:");
        await("the persisted program answers").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            Http.Response r = Http.get(crns.get(0) + "/vm/" + third + "/");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().path("message").asText()).isEqualTo("Hello World");
        });

        Cli.Result old = cli.runArgs("program", "status", second);
        assertThat(old.exit()).as(old.toString()).isZero();
        assertThat(lines(old)).contains("Message:   forgotten", "Replaced by: " + third + " — see `aleph program status " + third + "`");
        await("the old URL names the replacement").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            Http.Response r = Http.get(crns.get(0) + "/vm/" + second + "/");
            assertThat(r.status()).as(r.body()).isEqualTo(404);
            assertThat(r.json().path("error").asText()).isEqualTo("Program " + second + " was forgotten; it was replaced by " + third);
            assertThat(r.json().path("details").path("replaced_by").asText()).isEqualTo(third);
        });
        Cli.Result goneLogs = elsewhere.runArgs("program", "logs", second);
        assertThat(goneLogs.exit()).isEqualTo(1);
        assertThat(goneLogs.err().strip()).isEqualTo("Error: program " + second + " was forgotten; it was replaced by " + third
                + " — see `aleph program logs " + third + "`");
    }
}
