package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which executor a CRN starts with, and that it says so in /about. */
class ExecutorIdentityTest {
    /** Nothing listens here: these nodes never need the CCN. */
    static final URI NO_CCN = URI.create("http://127.0.0.1:9");
    static final SandboxExecutor.Support NO_BWRAP =
            new SandboxExecutor.Support(false, "bubblewrap (bwrap) is not installed", null, null, null, null);

    @TempDir
    Path dir;

    CrnConfig config(CrnConfig.ExecutorKind kind) {
        return CrnConfig.defaults(dir.resolve("crn"), NO_CCN).withExecutor(kind);
    }

    @Test
    void autoOnAHostWithoutSandboxRefusesToStartUnlessTheFallbackIsConfigured() {
        assertThat(config(CrnConfig.ExecutorKind.AUTO).allowUnisolated()).isFalse(); // off by default
        assertThatThrownBy(() -> new CrnNode(config(CrnConfig.ExecutorKind.AUTO), LeaseDirectory.NONE, cg -> NO_BWRAP))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bubblewrap (bwrap) is not installed")
                .hasMessageContaining("install bubblewrap")
                .hasMessageContaining("executor=process")
                .hasMessageContaining("allow-unisolated=true")
                .hasMessageNotContaining("\n");
    }

    @Test
    void explicitSandboxOnAHostWithoutItRefusesToStartEvenWithTheFallback() {
        assertThatThrownBy(() -> new CrnNode(config(CrnConfig.ExecutorKind.SANDBOX).withAllowUnisolated(true),
                LeaseDirectory.NONE, cg -> NO_BWRAP))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("executor=sandbox");
    }

    @Test
    void withTheFallbackAllowedAutoRunsProcessAndAboutSaysItDoesNotIsolate() throws Exception {
        try (CrnNode crn = new CrnNode(config(CrnConfig.ExecutorKind.AUTO).withAllowUnisolated(true), LeaseDirectory.NONE,
                cg -> NO_BWRAP).start()) {
            assertThat(crn.executorName()).isEqualTo("process");
            assertThat(crn.executorIsolates()).isFalse();
            JsonNode about = about(crn);
            assertThat(about.path("executor").asText()).isEqualTo("process");
            assertThat(about.path("executor_isolated").isBoolean()).isTrue();
            assertThat(about.path("executor_isolated").asBoolean()).isFalse();
            // the keys /about had before stay
            for (String key : new String[] {"node", "version", "executor_details", "runtimes", "limits", "capacity", "domain",
                    "idle_timeout_seconds"}) {
                assertThat(about.has(key)).as(key).isTrue();
            }
        }
    }

    @Test
    void onThisHostAutoChoosesTheSandboxAndAboutSaysItIsolates() throws Exception {
        var decision = CrnNode.decideExecutor(config(CrnConfig.ExecutorKind.AUTO));
        org.junit.jupiter.api.Assumptions.assumeTrue(decision.isolates(), "the sandbox is not usable here: " + decision);
        try (CrnNode crn = new CrnNode(config(CrnConfig.ExecutorKind.AUTO), LeaseDirectory.NONE).start()) {
            JsonNode about = about(crn);
            assertThat(about.path("executor").asText()).isEqualTo("sandbox");
            assertThat(about.path("executor_isolated").asBoolean()).isTrue();
        }
    }

    @Test
    void logMaxBytesDefaultsTo8MiBPerFile() {
        assertThat(config(CrnConfig.ExecutorKind.PROCESS).logMaxBytes()).isEqualTo(8L * 1024 * 1024);
        assertThat(config(CrnConfig.ExecutorKind.PROCESS).withLogMaxBytes(4096).logMaxBytes()).isEqualTo(4096);
    }

    static JsonNode about(CrnNode crn) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(crn.url() + "/about"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body());
    }
}
