package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A persistent program that cannot start anywhere (its entrypoint names an attribute its module
 * lacks), uploaded with the CLI on a devnet of two CRNs: once it failed on both, every CRN answers
 * 502 with the program's own error, and the scheduler says why it stopped trying.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PersistentFailuresTest {
    Path tmp;
    NodeProcess devnet;
    Cli cli;
    String scheduler;
    List<String> crns;

    @BeforeAll
    void startDevnet(@TempDir Path dir) throws Exception {
        tmp = dir;
        int base = Http.freePorts(4);
        scheduler = "http://127.0.0.1:" + (base + 1);
        crns = List.of("http://127.0.0.1:" + (base + 2), "http://127.0.0.1:" + (base + 3));
        Map<String, String> env = Map.of("ALEPH_HOME", tmp.resolve("aleph-home").toString(), "ALEPH_CCN_URL", "http://127.0.0.1:" + base,
                "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", crns.get(0));
        devnet = NodeProcess.start("devnet", tmp.resolve("devnet.log"), env, "aleph-node", "devnet", "--data",
                tmp.resolve("devnet").toString(), "--crns", "2", "--ccn-port", String.valueOf(base),
                "--scheduler-port", String.valueOf(base + 1), "--crn-port", String.valueOf(base + 2));
        devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
        cli = new Cli(Files.createDirectories(tmp.resolve("work")), env);
    }

    @AfterAll
    void stopDevnet() {
        if (devnet != null) devnet.close();
    }

    @Test
    void aProgramThatFailsOnEveryNodeAnswers502WithItsError() throws Exception {
        Path src = Files.createDirectories(tmp.resolve("work/typo"));
        Files.writeString(src.resolve("main.py"), "from fastapi import FastAPI\n\napp = FastAPI()\n");
        Cli.Result upload = cli.runArgs("program", "upload", "--persistent", src.toString(), "main:ap");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        String hash = upload.firstHash();

        for (String crn : crns) {
            await("502 from " + crn).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                Http.Response r = Http.get(crn + "/vm/" + hash + "/");
                assertThat(r.status()).as(r.body()).isEqualTo(502);
                JsonNode body = r.json();
                assertThat(body.path("error").asText()).startsWith("program failed on every node it tried").contains("\"ap\"");
                assertThat(body.path("details").path("last_error").asText()).contains("crash loop on");
            });
        }
        JsonNode vm = Http.get(scheduler + "/api/v1/vms/" + hash).json();
        assertThat(vm.path("scheduling_status").asText()).isEqualTo("unschedulable");
        assertThat(vm.path("reason").asText()).startsWith("every matching node was given up");
        assertThat(vm.path("last_error").asText()).contains("\"ap\"");
    }
}
