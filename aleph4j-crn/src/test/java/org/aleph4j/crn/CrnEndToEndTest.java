package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import org.aleph4j.client.crn.OwnerAuth;
import org.aleph4j.message.HostLabels;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrnEndToEndTest {
    @TempDir
    static Path dir;
    TestNetwork net;
    CrnNode crn;
    String binaryCode;

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        crn = new CrnNode(CrnConfig.defaults(dir.resolve("crn"), net.ccnUrl()), LeaseDirectory.NONE).start();
        binaryCode = net.store(net.user(), SamplePrograms.binaryZip("v1"), null);
    }

    @AfterAll
    void stop() {
        if (crn != null) crn.close();
        if (net != null) net.close();
    }

    URI vm(String hash, String rest) {
        return URI.create(crn.url() + "/vm/" + hash + rest);
    }

    JsonNode running() throws Exception {
        return TestNetwork.json(net.get(URI.create(crn.url() + "/about/executions/list")));
    }

    @Test
    void tutorialFastApiProgramAnswersByPathAndByBase32Host() throws Exception {
        String code = net.store(net.user(), TestNetwork.zip(Map.of("main.py", SamplePrograms.FASTAPI_MAIN)), null);
        String hash = net.program(net.zipProgram(code, "main:app").timeoutSeconds(30.0).memory(256));
        HttpResponse<String> r = net.get(vm(hash, "/"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(TestNetwork.json(r).path("message").asText()).isEqualTo("Hello World");
        assertThat(r.headers().firstValue("Aleph-Program-ItemHash")).contains(hash);
        assertThat(r.headers().firstValue("Aleph-Program-Code-Ref")).contains(code);

        String raw = rawGet(HostLabels.label(hash) + ".aleph.localhost", "/");
        assertThat(raw).startsWith("HTTP/1.1 200").contains("{\"message\":\"Hello World\"}");
        assertThat(running().has(hash)).isTrue();
    }

    @Test
    void anOnDemandStartBeyondTheNodesMemoryIsRefusedWithA503AndStartsNothing() throws Exception {
        // a small node: 1 vCPU (sold 4 times over) and 400 MiB
        try (CrnNode small = new CrnNode(CrnConfig.defaults(dir.resolve("crn-small"), net.ccnUrl())
                .withCapacity(new CrnConfig.Capacity(1, 400, 10_000)), LeaseDirectory.NONE).start()) {
            String first = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(10.0).memory(256));
            String second = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(11.0).memory(256));
            assertThat(net.get(URI.create(small.url() + "/vm/" + first + "/")).statusCode()).isEqualTo(200);
            HttpResponse<String> r = net.get(URI.create(small.url() + "/vm/" + second + "/"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            JsonNode err = TestNetwork.json(r);
            assertThat(err.path("error").asText()).contains("at capacity").contains("512 of 400 MiB");
            assertThat(err.path("details").path("capacity_memory_mib").asLong()).isEqualTo(400);
            JsonNode running = TestNetwork.json(net.get(URI.create(small.url() + "/about/executions/list")));
            assertThat(running.has(second)).isFalse();
            assertThat(TestNetwork.programProcesses(second)).isEmpty();
            // the first one keeps serving
            assertThat(net.get(URI.create(small.url() + "/vm/" + first + "/")).statusCode()).isEqualTo(200);
        }
    }

    String rawGet(String host, String path) throws Exception {
        try (Socket s = new Socket("127.0.0.1", crn.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void binaryProgramListensOnThePortGivenInItsEnvironmentAndSeesPathQueryAndBody() throws Exception {
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(30.0).memory(256));
        HttpResponse<String> r = net.get(vm(hash, "/some/path?x=1&y=2"));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode body = TestNetwork.json(r);
        assertThat(body.path("path").asText()).isEqualTo("/some/path?x=1&y=2");
        // the sandbox gives every program its own network namespace, so 8080 as upstream; a plain process gets a free port
        if (crn.executorName().equals("sandbox")) assertThat(body.path("port").asText()).isEqualTo("8080");
        else assertThat(body.path("port").asText()).isNotEqualTo("8080").isNotBlank();
        assertThat(body.path("hash").asText()).isEqualTo(hash);
        byte[] big = new byte[3 * 1024 * 1024];
        HttpResponse<String> post = net.http().send(HttpRequest.newBuilder(vm(hash, "/upload"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(201);
        assertThat(TestNetwork.json(post).path("length").asInt()).isEqualTo(big.length);
    }

    @Test
    void requestLongerThanResourceSecondsGets504() throws Exception {
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(1.0).memory(256));
        assertThat(net.get(vm(hash, "/")).statusCode()).isEqualTo(200);
        HttpResponse<String> r = net.get(vm(hash, "/sleep"));
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(TestNetwork.json(r).path("error").asText()).contains("did not respond");
    }

    @Test
    void crashingProgramGives502AndIsStartedAgainOnTheNextRequest() throws Exception {
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(10.0).memory(256));
        String boot1 = TestNetwork.json(net.get(vm(hash, "/"))).path("boot").asText();
        HttpResponse<String> crash = net.get(vm(hash, "/crash"));
        assertThat(crash.statusCode()).isEqualTo(502);
        assertThat(TestNetwork.json(crash).has("error")).isTrue();
        HttpResponse<String> again = net.get(vm(hash, "/"));
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(TestNetwork.json(again).path("boot").asText()).isNotEqualTo(boot1);
    }

    @Test
    void programThatExitsAtStartGivesAClearErrorWithItsStderr() throws Exception {
        byte[] zip = TestNetwork.zip(Map.of("run.sh", "#!/bin/sh\necho 'boom: missing config file' >&2\nexit 3\n"));
        String hash = net.program(net.zipProgram(net.store(net.user(), zip, null), "run.sh").timeoutSeconds(10.0).memory(256));
        HttpResponse<String> r = net.get(vm(hash, "/"));
        assertThat(r.statusCode()).isEqualTo(502);
        JsonNode body = TestNetwork.json(r);
        assertThat(body.path("error").asText()).contains("exited at start").contains("code 3");
        assertThat(body.path("details").path("stderr").toString()).contains("boom: missing config file");
        assertThat(running().has(hash)).isFalse();
    }

    @Test
    void programExceedingItsMemoryIsKilledAndTheNodeStaysHealthy() throws Exception {
        JsonNode about = TestNetwork.json(net.get(URI.create(crn.url() + "/about")));
        org.junit.jupiter.api.Assumptions.assumeTrue(about.path("limits").path("enforced").asBoolean(), "cgroups not writable here");
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(20.0).memory(64));
        assertThat(net.get(vm(hash, "/")).statusCode()).isEqualTo(200);
        HttpResponse<String> hog = net.get(vm(hash, "/hog"));
        assertThat(hog.statusCode()).isEqualTo(502);
        assertThat(net.get(URI.create(crn.url() + "/about")).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode v2 = TestNetwork.json(net.get(URI.create(crn.url() + "/v2/about/executions/list")));
            assertThat(v2.path(hash).path("reason").asText()).contains("memory limit of 64 MiB exceeded");
        });
        assertThat(net.get(vm(hash, "/")).statusCode()).isEqualTo(200);
    }

    @Test
    void codeUpdateIsPickedUpAndForgetStopsTheProgram() throws Exception {
        String code = net.store(net.user(), SamplePrograms.binaryZip("v1"), null);
        String hash = net.program(net.zipProgram(code, "run.sh").timeoutSeconds(10.0).memory(256));
        assertThat(TestNetwork.json(net.get(vm(hash, "/"))).path("version").asText()).isEqualTo("v1");
        net.store(net.user(), SamplePrograms.binaryZip("v2"), code);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(TestNetwork.json(net.get(vm(hash, "/"))).path("version").asText()).isEqualTo("v2"));

        net.forget(net.user(), hash);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(running().has(hash)).isFalse());
        HttpResponse<String> after = net.get(vm(hash, "/"));
        assertThat(after.statusCode()).isEqualTo(404);
    }

    @Test
    void logsAreReadableByTheOwnerOnly() throws Exception {
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(10.0).memory(256));
        assertThat(net.get(vm(hash, "/hello-logs")).statusCode()).isEqualTo(200);
        String path = "/control/machine/" + hash + "/logs";
        String domain = crn.url().getAuthority();

        OwnerAuth owner = new OwnerAuth(net.user(), domain);
        HttpResponse<String> ok = net.http().send(withHeaders(HttpRequest.newBuilder(URI.create(crn.url() + path)),
                owner.headers("GET", path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        JsonNode entries = TestNetwork.json(ok);
        assertThat(entries.isArray()).isTrue();
        assertThat(entries.toString()).contains("served /hello-logs").contains("SYSLOG_IDENTIFIER")
                .contains("vm-" + hash + "-stdout").contains("__REALTIME_TIMESTAMP");

        OwnerAuth stranger = new OwnerAuth(EthAccount.generate(new SecureRandom()), domain);
        HttpResponse<String> denied = net.http().send(withHeaders(HttpRequest.newBuilder(URI.create(crn.url() + path)),
                stranger.headers("GET", path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.body()).doesNotContain("served /hello-logs");

        assertThat(net.get(URI.create(crn.url() + path)).statusCode()).isEqualTo(401);
        Map<String, String> replayed = owner.headers("GET", path);
        assertThat(net.http().send(withHeaders(HttpRequest.newBuilder(URI.create(crn.url() + path)), replayed).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(net.http().send(withHeaders(HttpRequest.newBuilder(URI.create(crn.url() + path)), replayed).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        Map<String, String> otherPath = owner.headers("GET", "/control/machine/" + hash + "/stop");
        assertThat(net.http().send(withHeaders(HttpRequest.newBuilder(URI.create(crn.url() + path)), otherPath).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    }

    static HttpRequest.Builder withHeaders(HttpRequest.Builder b, Map<String, String> headers) {
        headers.forEach(b::header);
        return b;
    }

    @Test
    void badReferencesGetClearJsonErrorsAndStartNothing() throws Exception {
        HttpResponse<String> malformed = net.get(vm("not-a-hash", "/"));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(TestNetwork.json(malformed).path("error").asText()).contains("Invalid message reference");

        HttpResponse<String> unknown = net.get(vm("ab".repeat(32), "/"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(TestNetwork.json(unknown).has("error_code")).isTrue();

        HttpResponse<String> store = net.get(vm(binaryCode, "/"));
        assertThat(store.statusCode()).isEqualTo(400);
        assertThat(TestNetwork.json(store).path("error").asText()).contains("not a PROGRAM");

        String corrupt = net.store(net.user(), "this is not a zip archive at all".getBytes(StandardCharsets.UTF_8), null);
        String broken = net.program(net.zipProgram(corrupt, "main:app").timeoutSeconds(10.0).memory(256));
        HttpResponse<String> bad = net.get(vm(broken, "/"));
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(TestNetwork.json(bad).path("error").asText()).contains("could not be unpacked");

        String noRuntime = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(10.0).memory(256).runtime(corrupt));
        HttpResponse<String> rt = net.get(vm(noRuntime, "/"));
        assertThat(rt.statusCode()).isEqualTo(503);
        assertThat(TestNetwork.json(rt).path("error").asText()).isEqualTo("runtime " + corrupt + " is not available on this node");

        JsonNode list = running();
        assertThat(list.has(broken)).isFalse();
        assertThat(list.has(noRuntime)).isFalse();
        JsonNode about = TestNetwork.json(net.get(URI.create(crn.url() + "/about")));
        assertThat(about.path("runtimes").toString()).contains(DefaultRuntime.ref());
    }

    @Test
    void persistentProgramRunsUnderItsLeaseWithItsEpochAndDiesWhenRenewalsStop() throws Exception {
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(10.0).memory(256).persistent(true));
        // not allocated anywhere: the node never starts an on-demand copy
        HttpResponse<String> scheduling = net.get(vm(hash, "/"));
        assertThat(scheduling.statusCode()).isEqualTo(503);
        assertThat(scheduling.headers().firstValue("Retry-After")).isPresent();
        assertThat(TestNetwork.json(scheduling).path("error").asText()).contains("being scheduled");

        PersistentHost host = crn.persistentHost();
        host.ensureRunning(hash, 7, Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(20)).until(() -> host.persistentExecutions().stream()
                .anyMatch(s -> s.itemHash().equals(hash) && s.state().equals("RUNNING")));
        HttpResponse<String> r = net.get(vm(hash, "/"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(TestNetwork.json(r).path("epoch").asText()).isEqualTo("7");
        assertThat(r.headers().firstValue("Aleph-Program-Epoch")).contains("7");
        assertThat(TestNetwork.programProcesses(hash)).isNotEmpty();

        host.renewLease(hash, 7, Duration.ofMillis(800)); // last renewal: the watchdog kills it 0.8 s later
        await().atMost(Duration.ofSeconds(10)).until(() -> TestNetwork.programProcesses(hash).isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> host.persistentExecutions().stream()
                .anyMatch(s -> s.itemHash().equals(hash) && s.state().equals("STOPPED") && s.lastError().contains("lease expired")));
        host.stop(hash, "test done");
        assertThat(host.persistentExecutions()).noneMatch(s -> s.itemHash().equals(hash));
    }

    @Test
    void aLeaseThatRunsOutWhilePreparingNeverStartsTheProgram() throws Exception {
        // 24 MiB that cannot be compressed: downloading, hashing and unpacking it outlasts a 100 ms lease
        byte[] ballast = new byte[24 << 20];
        new java.util.Random(7).nextBytes(ballast);
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(zip)) {
            z.putNextEntry(new java.util.zip.ZipEntry("run.sh"));
            z.write("#!/bin/sh\nexec python3 -m http.server \"$PORT\"\n".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new java.util.zip.ZipEntry("ballast.bin"));
            z.write(ballast);
        }
        String code = net.store(net.user(), zip.toByteArray(), null);
        String hash = net.program(net.zipProgram(code, "run.sh").timeoutSeconds(10.0).memory(256).persistent(true));
        PersistentHost host = crn.persistentHost();
        host.ensureRunning(hash, 1, Duration.ofMillis(100));
        await().atMost(Duration.ofSeconds(30)).until(() -> host.persistentExecutions().stream()
                .anyMatch(s -> s.itemHash().equals(hash) && s.state().equals("STOPPED")));
        var status = host.persistentExecutions().stream().filter(s -> s.itemHash().equals(hash)).findFirst().orElseThrow();
        // refused before the spawn, not started and then killed by its watchdog
        assertThat(status.lastError()).contains("lease expired while preparing");
        assertThat(TestNetwork.programProcesses(hash)).isEmpty();
        assertThat(net.get(vm(hash, "/")).statusCode()).isEqualTo(503);
        host.stop(hash, "test done");
    }

    @Test
    void persistentProgramRequestsAreForwardedToTheLeaseHolder() throws Exception {
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(10.0).memory(256).persistent(true));
        crn.persistentHost().ensureRunning(hash, 3, Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(20)).until(() -> crn.persistentHost().persistentExecutions().stream()
                .anyMatch(s -> s.itemHash().equals(hash) && s.state().equals("RUNNING")));
        LeaseDirectory toFirst = h -> h.equals(hash) ? java.util.Optional.of(crn.url()) : java.util.Optional.empty();
        try (CrnNode other = new CrnNode(CrnConfig.defaults(dir.resolve("crn2"), net.ccnUrl()), toFirst).start()) {
            HttpResponse<String> r = net.get(URI.create(other.url() + "/vm/" + hash + "/via-other"));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(TestNetwork.json(r).path("path").asText()).isEqualTo("/via-other");
            assertThat(TestNetwork.json(r).path("epoch").asText()).isEqualTo("3");
            HttpResponse<String> loop = net.http().send(HttpRequest.newBuilder(URI.create(other.url() + "/vm/" + hash + "/"))
                    .header("X-Aleph4j-Forwarded", "1").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(loop.statusCode()).isEqualTo(503);
        } finally {
            crn.persistentHost().stop(hash, "test done");
        }
    }

    @Test
    void idleProgramIsStoppedAndStartsAgainOnTheNextRequest() throws Exception {
        String hash = net.program(net.zipProgram(binaryCode, "run.sh").timeoutSeconds(10.0).memory(256));
        try (CrnNode quick = new CrnNode(CrnConfig.defaults(dir.resolve("crn3"), net.ccnUrl()).withIdleTimeout(Duration.ofSeconds(1)),
                LeaseDirectory.NONE).start()) {
            URI u = URI.create(quick.url() + "/vm/" + hash + "/");
            assertThat(net.get(u).statusCode()).isEqualTo(200);
            assertThat(TestNetwork.programProcesses(hash)).isNotEmpty();
            await().atMost(Duration.ofSeconds(10)).until(() -> TestNetwork.programProcesses(hash).isEmpty());
            JsonNode list = TestNetwork.json(net.get(URI.create(quick.url() + "/about/executions/list")));
            assertThat(list.has(hash)).isFalse();
            assertThat(net.get(u).statusCode()).isEqualTo(200);
        }
    }
}
