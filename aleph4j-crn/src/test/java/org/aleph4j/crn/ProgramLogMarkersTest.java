package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.aleph4j.client.crn.OwnerAuth;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FastAPI program stopped for being idle, on both executors: its logs keep what it wrote while
 * stopping (uvicorn's shutdown lines, its shutdown hook's print), framed by the node's start and
 * stop markers, and {@code ?since=} returns only what came after a time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProgramLogMarkersTest {
    static final String APP = """
            from fastapi import FastAPI

            app = FastAPI()


            @app.on_event("shutdown")
            def bye():
                print("bye from the shutdown hook", flush=True)


            @app.get("/")
            async def root():
                print("served /", flush=True)
                return {"message": "Hello World"}
            """;

    @TempDir
    static Path dir;
    TestNetwork net;
    String code;
    final List<CrnNode> nodes = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        code = net.store(net.user(), TestNetwork.zip(Map.of("main.py", APP)), null);
    }

    @AfterAll
    void stop() {
        nodes.forEach(CrnNode::close);
        if (net != null) net.close();
    }

    CrnNode node(CrnConfig.ExecutorKind kind) {
        if (kind == CrnConfig.ExecutorKind.SANDBOX) {
            var support = SandboxExecutor.probe(new Cgroups(Path.of("/sys/fs/cgroup"), "aleph4j"));
            Assumptions.assumeTrue(support.usable(), "this host cannot run the sandbox: " + support.reason());
        }
        CrnConfig config = CrnConfig.defaults(dir.resolve("crn-" + kind), net.ccnUrl()).withExecutor(kind)
                .withIdleTimeout(Duration.ofSeconds(2));
        if (kind == CrnConfig.ExecutorKind.SANDBOX) config = config.withCgroupParent("aleph4j-markers-test");
        CrnNode crn = new CrnNode(config, LeaseDirectory.NONE).start();
        nodes.add(crn);
        return crn;
    }

    JsonNode logs(CrnNode crn, String hash, String query) throws Exception {
        String path = "/control/machine/" + hash + "/logs";
        Map<String, String> headers = new OwnerAuth(net.user(), crn.url().getAuthority()).headers("GET", path);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(crn.url() + path + query));
        headers.forEach(b::header);
        HttpResponse<String> r = net.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestNetwork.json(r);
    }

    static List<String> lines(JsonNode entries) {
        List<String> out = new ArrayList<>();
        entries.forEach(e -> out.add(e.path("file").asText() + ": " + e.path("MESSAGE").asText()));
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = CrnConfig.ExecutorKind.class, names = {"PROCESS", "SANDBOX"})
    void anIdleStopKeepsTheShutdownOutputBetweenTheStartAndStopMarkers(CrnConfig.ExecutorKind kind) throws Exception {
        CrnNode crn = node(kind);
        String hash = net.program(net.zipProgram(code, "main:app").timeoutSeconds(30.0 + kind.ordinal()).memory(256));
        HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + hash + "/"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

        await("idle stop").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> lines(logs(crn, hash, "")).contains("node: --- stopped: idle for 2 s ---"));
        List<String> all = lines(logs(crn, hash, ""));
        assertThat(all.get(0)).isEqualTo("node: --- started ---");
        assertThat(all.get(all.size() - 1)).isEqualTo("node: --- stopped: idle for 2 s ---");
        assertThat(all).contains("stdout: served /", "stdout: bye from the shutdown hook")
                .anyMatch(l -> l.startsWith("stderr: INFO:") && l.contains("Shutting down"))
                .anyMatch(l -> l.startsWith("stderr: INFO:") && l.contains("Application shutdown complete"));
        assertThat(all.indexOf("stdout: bye from the shutdown hook")).isGreaterThan(all.indexOf("stdout: served /"));

        // since= is inclusive and bounded by the entries' own timestamps
        JsonNode entries = logs(crn, hash, "");
        JsonNode stopped = entries.get(entries.size() - 1);
        JsonNode after = logs(crn, hash, "?since=" + stopped.path("__REALTIME_TIMESTAMP").asText());
        assertThat(lines(after)).containsExactly("node: --- stopped: idle for 2 s ---");
        assertThat(logs(crn, hash, "?since=" + (Long.parseLong(stopped.path("__REALTIME_TIMESTAMP").asText()) + 1))).isEmpty();
        assertThat(stopped.path("SYSLOG_IDENTIFIER").asText()).isEqualTo("vm-" + hash + "-node");
    }
}
