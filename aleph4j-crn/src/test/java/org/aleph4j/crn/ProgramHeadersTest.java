package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a program sees of the client's request (Host, X-Forwarded-*) and where it finds its code,
 * and that its response headers reach the client exactly as it sent them: directly and through
 * another CRN forwarding to the lease holder, in both executors.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProgramHeadersTest {
    /** Echoes the request headers, its working directory and what /opt/code holds; answers with its own headers. */
    static final String ECHO_PY = """
            import os, json
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
            class H(BaseHTTPRequestHandler):
                def do_GET(self):
                    body = json.dumps({"headers": [[k, v] for k, v in self.headers.items()], "cwd": os.getcwd(),
                                       "cwd_files": sorted(os.listdir(".")), "code_dir": os.environ.get("ALEPH4J_CODE_DIR"),
                                       "opt_code": sorted(os.listdir("/opt/code")) if os.path.isdir("/opt/code") else None}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Set-Cookie", "a=1; Path=/")
                    self.send_header("Set-Cookie", "b=2; Path=/; HttpOnly")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *a):
                    pass
            HOST = "0.0.0.0" if os.environ.get("ALEPH4J_EXECUTOR") == "sandbox" else "127.0.0.1"
            ThreadingHTTPServer((HOST, int(os.environ["PORT"])), H).serve_forever()
            """;
    /** Upstream's way in the sandbox ({@code cd /opt/code; ... /opt/code/...}); a path relative to the working directory elsewhere. */
    static final String RUN_SH = """
            #!/bin/sh
            if [ "$ALEPH4J_EXECUTOR" = sandbox ]; then cd /opt/code; exec python3 /opt/code/echo.py; fi
            exec python3 echo.py
            """;

    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    @TempDir
    static Path dir;
    TestNetwork net;
    String code;
    final String cgroupParent = "aleph4j-hdrtest-" + UUID.randomUUID().toString().substring(0, 6);

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        code = net.store(net.user(), TestNetwork.zip(Map.of("run.sh", RUN_SH, "echo.py", ECHO_PY)), null);
    }

    @AfterAll
    void stop() throws IOException {
        if (net != null) net.close();
        for (String c : List.of("memory", "cpu", "pids", "freezer", "")) {
            Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, cgroupParent));
        }
    }

    record Raw(int status, List<String[]> headers, String body) {
        List<String> all(String name) {
            return headers.stream().filter(h -> h[0].equalsIgnoreCase(name)).map(h -> h[1]).toList();
        }
    }

    /** A request with headers the JDK client will not send (Host), over a plain socket. */
    static Raw get(int port, String path, Map<String, String> headers) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            req.append("Connection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String raw = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = raw.indexOf("\r\n\r\n");
            String[] lines = raw.substring(0, end).split("\r\n");
            List<String[]> hs = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                hs.add(new String[] {lines[i].substring(0, colon).strip(), lines[i].substring(colon + 1).strip()});
            }
            return new Raw(Integer.parseInt(lines[0].split(" ")[1]), hs, raw.substring(end + 4));
        }
    }

    static List<String> seen(JsonNode echo, String name) {
        List<String> values = new ArrayList<>();
        echo.path("headers").forEach(h -> {
            if (h.get(0).asText().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) values.add(h.get(1).asText());
        });
        return values;
    }

    CrnConfig config(String name, CrnConfig.ExecutorKind kind) {
        return CrnConfig.defaults(dir.resolve(name), net.ccnUrl()).withExecutor(kind).withCgroupParent(cgroupParent);
    }

    @ParameterizedTest
    @EnumSource(value = CrnConfig.ExecutorKind.class, names = {"PROCESS", "SANDBOX"})
    void programSeesTheClientsHostAndForwardingHeadersStartsInItsCodeAndItsHeadersReachTheClientOnce(CrnConfig.ExecutorKind kind)
            throws Exception {
        if (kind == CrnConfig.ExecutorKind.SANDBOX) {
            var support = SandboxExecutor.probe(new Cgroups(Path.of("/sys/fs/cgroup"), "aleph4j"));
            Assumptions.assumeTrue(support.usable(), "this host cannot run the sandbox: " + support.reason());
        }
        String onDemand = net.program(net.zipProgram(code, "run.sh").timeoutSeconds(10.0).memory(128));
        String persistent = net.program(net.zipProgram(code, "run.sh").timeoutSeconds(10.0).memory(128).persistent(true));
        Map<String, String> client = Map.of("Host", "shop.example.org:8443", "X-Forwarded-For", "203.0.113.7",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "forged.example");
        try (CrnNode holder = new CrnNode(config("holder-" + kind, kind), LeaseDirectory.NONE).start()) {
            Raw direct = get(holder.port(), "/vm/" + onDemand + "/echo", client);
            assertThat(direct.status()).as(direct.body()).isEqualTo(200);
            JsonNode echo = JSON.readTree(direct.body());
            assertThat(seen(echo, "Host")).containsExactly("shop.example.org:8443");
            // the client's chain is kept and the address that connected to the gateway appended: the last hop is the node's
            assertThat(seen(echo, "X-Forwarded-For")).containsExactly("203.0.113.7, 127.0.0.1");
            // Proto and Host say what the node received, not what the client claimed
            assertThat(seen(echo, "X-Forwarded-Proto")).containsExactly("http");
            assertThat(seen(echo, "X-Forwarded-Host")).containsExactly("shop.example.org:8443");
            assertThat(direct.all("Content-Type")).containsExactly("application/json; charset=utf-8"); // the program's, as it spelt it
            assertThat(direct.all("Set-Cookie")).containsExactly("a=1; Path=/", "b=2; Path=/; HttpOnly");

            // code where upstream programs look for it, and the working directory
            if (kind == CrnConfig.ExecutorKind.SANDBOX) {
                assertThat(echo.path("cwd").asText()).isEqualTo("/opt/code");
                assertThat(echo.path("code_dir").asText()).isEqualTo("/opt/code");
                assertThat(echo.path("opt_code").toString()).isEqualTo("[\"echo.py\",\"run.sh\"]");
            } else {
                // no mount namespace: the unpacked code itself, and nothing created at /opt/code on the host
                assertThat(echo.path("cwd").asText()).isEqualTo(echo.path("code_dir").asText()).startsWith(dir.toString());
                assertThat(echo.path("cwd_files").toString()).isEqualTo("[\"echo.py\",\"run.sh\"]");
            }

            holder.persistentHost().ensureRunning(persistent, 1, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(20)).until(() -> holder.persistentHost().persistentExecutions().stream()
                    .anyMatch(s -> s.itemHash().equals(persistent) && s.state().equals("RUNNING")));
            LeaseDirectory toHolder = h -> h.equals(persistent) ? Optional.of(holder.url()) : Optional.empty();
            try (CrnNode other = new CrnNode(config("other-" + kind, CrnConfig.ExecutorKind.PROCESS), toHolder).start()) {
                Raw forwarded = get(other.port(), "/vm/" + persistent + "/echo", client);
                assertThat(forwarded.status()).as(forwarded.body()).isEqualTo(200);
                JsonNode via = JSON.readTree(forwarded.body());
                assertThat(seen(via, "Host")).containsExactly("shop.example.org:8443");
                // client's claim, the client as the first CRN saw it, the first CRN as the holder saw it
                assertThat(seen(via, "X-Forwarded-For")).containsExactly("203.0.113.7, 127.0.0.1, 127.0.0.1");
                assertThat(seen(via, "X-Forwarded-Proto")).containsExactly("http");
                assertThat(seen(via, "X-Forwarded-Host")).containsExactly("shop.example.org:8443");
                assertThat(forwarded.all("Content-Type")).containsExactly("application/json; charset=utf-8");
                assertThat(forwarded.all("Set-Cookie")).containsExactly("a=1; Path=/", "b=2; Path=/; HttpOnly");
                assertThat(forwarded.all("Aleph-Program-ItemHash")).containsExactly(persistent);
            } finally {
                holder.persistentHost().stop(persistent, "test done");
            }
        }
        assertThat(Files.exists(Path.of("/opt/code"))).as("/opt/code on the host").isFalse();
        assertThat(TestNetwork.programProcesses(onDemand)).isEmpty();
        assertThat(TestNetwork.programProcesses(persistent)).isEmpty();
    }
}
