package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command, run as a new user would: {@code scripts/quickstart.sh --exit} starts
 * a devnet on the default ports, deploys the example persistently, shows it answering through the
 * network, stops, and leaves no process behind.
 */
class QuickstartScriptTest {
    @TempDir Path home;

    @Test
    void quickstartShowsTheExampleAnsweringAndLeavesNoProcess() throws Exception {
        assertThat(Http.get("http://127.0.0.1:4024/api/v0/messages.json").status())
                .as("the default devnet ports must be free for this test").isEqualTo(-1);
        Path log = home.resolve("quickstart.log");
        ProcessBuilder pb = new ProcessBuilder(NodeProcess.ROOT.resolve("scripts/quickstart.sh").toString(), "--exit")
                .directory(NodeProcess.ROOT.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("ALEPH_HOME");
        Process p = pb.start();
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        if (!finished) p.descendants().forEach(ProcessHandle::destroyForcibly);
        String out = Files.readString(log);
        assertThat(finished).as(out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("aleph4j devnet ready").contains("{\"message\":\"Hello World\"}")
                .containsPattern("runs persistently: http://127.0.0.1:4041/vm/[0-9a-f]{64}/");
        assertThat(out).containsPattern("http://127\\.0\\.0\\.1:404[123]");
        // as root, the embedded default is the isolated executor, and the script says so
        boolean root = "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip());
        assertThat(out).containsPattern("executor running the program on http://127\\.0\\.0\\.1:404[123]: "
                + (root ? "sandbox" : "(sandbox|process)"));
        // The network shut down cleanly (its CRNs tore their executions down), not killed at the end of the wait.
        assertThat(Files.readString(home.resolve(".aleph4j/devnet/devnet.log"))).contains("devnet stopped");

        // Watchdogs exit a moment after the node that fed them; allow a few seconds, no more.
        await("no process left after quickstart --exit").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(ProcessHandle.allProcesses()
                        .filter(h -> h.info().commandLine().map(c -> c.contains(home.toString())).orElse(false))
                        .map(h -> h.pid() + " " + h.info().commandLine().orElse("")).toList()).isEmpty());
        assertThat(Http.get("http://127.0.0.1:4024/api/v0/messages.json").status()).isEqualTo(-1);
        assertThat(Http.get("http://127.0.0.1:4041/about/executions/list").status()).isEqualTo(-1);
    }
}
