package org.aleph4j.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The tutorial against a devnet started as a separate process ({@code bin/aleph-node devnet}). */
class TutorialOnDevnetTest extends TutorialContract {
    @TempDir static Path tmp;
    static NodeProcess devnet;

    @BeforeAll
    static void startDevnet() throws Exception {
        dir = tmp;
        int base = Http.freePorts(5);
        ccn = "http://127.0.0.1:" + base;
        scheduler = "http://127.0.0.1:" + (base + 1);
        crns = List.of("http://127.0.0.1:" + (base + 2), "http://127.0.0.1:" + (base + 3), "http://127.0.0.1:" + (base + 4));
        Map<String, String> env = Map.of("ALEPH_HOME", dir.resolve("aleph-home").toString(),
                "ALEPH_CCN_URL", ccn, "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", crns.get(0));
        devnet = NodeProcess.start("devnet", dir.resolve("devnet.log"), env, "aleph-node", "devnet",
                "--data", dir.resolve("devnet").toString(), "--crns", "3", "--ccn-port", String.valueOf(base),
                "--scheduler-port", String.valueOf(base + 1), "--crn-port", String.valueOf(base + 2));
        devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
        cli = new Cli(Files.createDirectories(dir.resolve("work")), env);
    }

    @AfterAll
    static void stopDevnet() {
        if (devnet != null) devnet.close();
    }
}
