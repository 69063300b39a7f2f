package org.aleph4j.crn.guest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.message.HostLabels;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Upstream's guest environment as a real program sees it on a real CRN: variables, host name, and
 * the guest API called over its Unix socket from inside the program (Python's http.client).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GuestEnvironmentTestBase {
    static final ObjectMapper JSON = new ObjectMapper();
    TestNetwork net;
    CrnNode crn;
    Path crnDir;
    String cgroupParent = "aleph4j-guest-" + UUID.randomUUID().toString().substring(0, 6);
    String a;
    String b;

    abstract Path dir();

    abstract CrnConfig.ExecutorKind executor();

    /** Skips the class when the host cannot run this executor. */
    void assumeUsable() {}

    boolean sandboxed() {
        return executor() == CrnConfig.ExecutorKind.SANDBOX;
    }

    @BeforeAll
    void start() throws Exception {
        assumeUsable();
        net = TestNetwork.builder(dir()).fundedUser(10_000_000).start();
        crnDir = dir().resolve("crn");
        crn = new CrnNode(CrnConfig.defaults(crnDir, net.ccnUrl()).withExecutor(executor()).withCgroupParent(cgroupParent),
                LeaseDirectory.NONE).start();
        String py;
        try (InputStream in = getClass().getResourceAsStream("/guest/guest.py")) {
            py = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String code = net.store(net.user(), TestNetwork.zip(Map.of("run.sh",
                "#!/bin/sh\nexec python3 \"$(dirname \"$0\")/guest.py\"\n", "guest.py", py)), null);
        // the message tries to replace the node's guest variables
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("ALEPH_API_HOST", "http://evil.example");
        vars.put("ALEPH_API_UNIX_SOCKET", "/tmp/evil");
        vars.put("ALEPH_ADDRESS_TO_USE", "evil");
        vars.put("ALEPH_INIT_VERSION", "0");
        vars.put("GREETING", "hello");
        a = net.program(net.zipProgram(code, "run.sh").timeoutSeconds(30.0).memory(128).variables(vars));
        b = net.program(net.zipProgram(code, "run.sh").name("other").timeoutSeconds(30.0).memory(128));
    }

    @AfterAll
    void stop() throws IOException {
        if (crn != null) crn.close();
        if (net != null) net.close();
        for (String c : List.of("memory", "cpu", "pids", "freezer", "")) {
            Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, cgroupParent));
        }
    }

    JsonNode env(String hash) throws Exception {
        HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + hash + "/env"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** Has program {@code hash} run {@code op} against its guest API; the program's report. */
    JsonNode run(String hash, Map<String, Object> op) throws Exception {
        HttpResponse<String> r = net.http().send(HttpRequest.newBuilder(URI.create(crn.url() + "/vm/" + hash + "/"))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(op))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    JsonNode call(String hash, String method, String path, String body) throws Exception {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("method", method);
        op.put("path", path);
        if (body != null) op.put("body", body);
        return run(hash, op);
    }

    @Test
    void programsSeeUpstreamsVariablesWhichTheirMessageCannotReplace() throws Exception {
        JsonNode env = env(a).path("env");
        String socket = env.path("ALEPH_API_UNIX_SOCKET").asText();
        assertThat(env.path("ALEPH_API_HOST").asText()).isEqualTo("http://localhost");
        assertThat(env.path("ALEPH_REMOTE_CRYPTO_HOST").asText()).isEqualTo("http://localhost");
        assertThat(env.path("ALEPH_REMOTE_CRYPTO_UNIX_SOCKET").asText()).isEqualTo(socket);
        assertThat(env.path("ALEPH_ADDRESS_TO_USE").asText()).isEqualTo(HostLabels.label(a));
        assertThat(env.path("ALEPH_INIT_VERSION").asText()).isEqualTo("2.0.0+aleph4j");
        assertThat(env.path("GREETING").asText()).isEqualTo("hello");
        if (sandboxed()) assertThat(socket).isEqualTo("/tmp/socat-socket");
        else assertThat(socket).startsWith(crnDir.resolve("executions").toString()).endsWith("/tmp/socat-socket");
    }

    @Test
    void propertiesHaveUpstreamsKeysAndSigningIsRefusedClearly() throws Exception {
        JsonNode r = call(a, "GET", "/properties", null);
        assertThat(r.path("status").asInt()).isEqualTo(200);
        JsonNode p = JSON.readTree(r.path("body").asText());
        assertThat(p.has("chain") && p.has("curve") && p.has("address") && p.has("public_key")).as(p.toString()).isTrue();
        assertThat(p.path("vm_hash").asText()).isEqualTo(a);
        assertThat(p.path("address_to_use").asText()).isEqualTo(HostLabels.label(a));
        assertThat(p.path("signing").asBoolean()).isFalse();

        JsonNode sign = call(a, "POST", "/sign", "{\"item_content\": \"{}\"}");
        assertThat(sign.path("status").asInt()).isEqualTo(501);
        JsonNode err = JSON.readTree(sign.path("body").asText());
        assertThat(err.path("error").asText()).contains("signing");
        assertThat(err.path("error_code").asInt()).isEqualTo(501);
        assertThat(err.has("details")).isTrue();
        assertThat(call(a, "POST", "/api/v0/ipfs/pubsub/pub", "{}").path("status").asInt()).isEqualTo(501);
    }

    @Test
    void theCacheStoresReadsListsAndDeletesAndEachProgramSeesOnlyItsOwnKeys() throws Exception {
        JsonNode put = call(a, "PUT", "/cache/shared_name", "value-of-a");
        assertThat(put.path("status").asInt()).as(put.toString()).isEqualTo(200);
        assertThat(put.path("body").asText()).isEqualTo("true");
        assertThat(call(a, "GET", "/cache/shared_name", null).path("body").asText()).isEqualTo("value-of-a");
        assertThat(call(a, "GET", "/cache/?pattern=shared*", null).path("body").asText()).isEqualTo("[\"shared_name\"]");

        // the other program: the same key name is another key
        assertThat(call(b, "GET", "/cache/shared_name", null).path("status").asInt()).isEqualTo(404);
        assertThat(call(b, "GET", "/cache/", null).path("body").asText()).isEqualTo("[]");
        assertThat(call(b, "PUT", "/cache/shared_name", "value-of-b").path("status").asInt()).isEqualTo(200);
        assertThat(call(a, "GET", "/cache/shared_name", null).path("body").asText()).isEqualTo("value-of-a");
        assertThat(call(b, "GET", "/cache/shared_name", null).path("body").asText()).isEqualTo("value-of-b");

        assertThat(call(a, "DELETE", "/cache/shared_name", null).path("body").asText()).isEqualTo("1");
        assertThat(call(a, "DELETE", "/cache/shared_name", null).path("body").asText()).isEqualTo("0");
        JsonNode gone = call(a, "GET", "/cache/shared_name", null);
        assertThat(gone.path("status").asInt()).isEqualTo(404);
        assertThat(JSON.readTree(gone.path("body").asText()).path("error").asText()).isEqualTo("No such key in cache");
        assertThat(call(b, "GET", "/cache/shared_name", null).path("body").asText()).isEqualTo("value-of-b");
        call(b, "DELETE", "/cache/shared_name", null);
    }

    @Test
    void aProgramCannotNameAnotherProgramsKeysNorReachItsSocket() throws Exception {
        assertThat(call(a, "PUT", "/cache/secret", "a-secret").path("status").asInt()).isEqualTo(200);
        // key names that would address another namespace (upstream's Redis keys are "<vm_hash>:<key>")
        for (String path : List.of("/cache/" + a + ":secret", "/cache/../cache/secret", "/cache/%2e%2e/secret",
                "/cache/a%00b", "/cache/" + "k".repeat(300))) {
            JsonNode r = call(b, "GET", path, null);
            assertThat(r.path("status").asInt()).as(path + " " + r).isIn(400, 404);
            assertThat(r.path("body").asText()).doesNotContain("a-secret");
        }
        assertThat(call(b, "GET", "/cache/?pattern=*", null).path("body").asText()).doesNotContain("secret");
        // a's socket on the host: out of b's reach (the process executor isolates programs only as root)
        if (!sandboxed() && !org.aleph4j.crn.execution.HostFiles.isRoot()) return;
        Path aSocket = executionDir(a).resolve("tmp/socat-socket");
        assertThat(Files.exists(aSocket)).isTrue();
        Map<String, Object> op = new LinkedHashMap<>(Map.of("method", "GET", "path", "/cache/secret", "socket", aSocket.toString()));
        JsonNode r = run(b, op);
        assertThat(r.path("status").asInt()).as(r.toString()).isEqualTo(-1);
        assertThat(r.path("error").asText()).containsAnyOf("FileNotFoundError", "PermissionError");
        call(a, "DELETE", "/cache/secret", null);
    }

    @Test
    void hugeValuesLyingLengthsAndTooManyKeysAreRefusedWith4xx() throws Exception {
        JsonNode big = run(a, Map.of("method", "PUT", "path", "/cache/big", "size", 2 * 1024 * 1024));
        assertThat(big.path("status").asInt()).as(big.toString()).isIn(413, -1);
        assertThat(call(a, "GET", "/cache/big", null).path("status").asInt()).isEqualTo(404);
        JsonNode lying = run(a, Map.of("op", "raw", "head", "PUT /cache/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000000000\r\n\r\n"));
        assertThat(lying.path("status_line").asText()).startsWith("HTTP/1.1 413");
        JsonNode chunked = run(a, Map.of("op", "raw", "head", "PUT /cache/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertThat(chunked.path("status_line").asText()).startsWith("HTTP/1.1 411");
        JsonNode longHead = run(a, Map.of("op", "raw", "head", "GET /cache/x HTTP/1.1\r\nX: " + "y".repeat(20_000) + "\r\n\r\n"));
        assertThat(longHead.path("status_line").asText()).startsWith("HTTP/1.1 431");

        JsonNode flood = run(a, Map.of("op", "flood", "n", 1100));
        assertThat(flood.path("refused_at").asInt()).as(flood.toString()).isEqualTo(1024);
        assertThat(flood.path("first_refusal").path("status").asInt()).isEqualTo(413);
        // another program is not affected by a's full cache
        assertThat(call(b, "PUT", "/cache/fine", "ok").path("status").asInt()).isEqualTo(200);
        call(b, "DELETE", "/cache/fine", null);
        // the program empties its own cache, so the other tests start from nothing
        assertThat(run(a, Map.of("op", "unflood", "n", 1024)).path("statuses").toString()).isEqualTo("[200]");
    }

    @Test
    void theCcnProxyAnswersRealReadsAndRefusesWrites() throws Exception {
        JsonNode msg = call(a, "GET", "/api/v0/messages/" + a, null);
        assertThat(msg.path("status").asInt()).as(msg.toString()).isEqualTo(200);
        assertThat(msg.path("body").asText()).contains(a);
        assertThat(msg.path("content_type").asText()).contains("json");
        JsonNode post = call(a, "POST", "/api/v0/messages", "{}");
        assertThat(post.path("status").asInt()).isEqualTo(405);
        JsonNode err = JSON.readTree(post.path("body").asText());
        assertThat(err.path("error").asText()).contains("read-only");
        assertThat(err.path("error_code").asInt()).isEqualTo(405);
        assertThat(call(a, "DELETE", "/api/v0/messages/" + a, null).path("status").asInt()).isEqualTo(405);
        assertThat(call(a, "GET", "/elsewhere", null).path("status").asInt()).isEqualTo(404);
    }

    Path executionDir(String hash) throws IOException {
        try (Stream<Path> s = Files.list(crnDir.resolve("executions"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(hash.substring(0, 12))).findFirst().orElseThrow();
        }
    }
}
