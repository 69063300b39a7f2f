package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.lease.PersistentHost;
import org.aleph4j.crn.runtime.RuntimeMap;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.message.runtime.UpstreamRuntimes;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * PROGRAMs as upstream's {@code aleph program upload} makes them, naming upstream's official runtimes,
 * run on a real CRN fed by a real CCN; what /about and the executions lists say about them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamRuntimeProgramsTest {
    static final String DEBIAN_12 = UpstreamRuntimes.upstreamDefault().ref();
    static final String DEBIAN_11 = "bd79839bf96e595a06da5ac0b6ba51dea6f7e2591bb913deccded04d831d29f4";
    @TempDir
    static Path dir;
    TestNetwork net;
    RecordingCcn ccn;
    CrnNode crn;
    String fastapiCode;
    byte[] fastapiZip;

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        ccn = new RecordingCcn(net.ccnUrl());
        crn = new CrnNode(CrnConfig.defaults(dir.resolve("crn"), ccn.url()), LeaseDirectory.NONE).start();
        fastapiZip = TestNetwork.zip(Map.of("main.py", SamplePrograms.FASTAPI_MAIN));
        fastapiCode = net.store(net.user(), fastapiZip, null);
    }

    @AfterAll
    void stop() {
        if (crn != null) crn.close();
        if (ccn != null) ccn.close();
        if (net != null) net.close();
    }

    /** Signs the user's PROGRAM and posts it to the CCN, which accepts upstream's runtimes without their STORE. */
    String upstreamProgram(ProgramBuilder b) throws Exception {
        AlephMessage m = MessageBuilder.build(net.user(), MessageType.PROGRAM, b.time(TestNetwork.now()).build(),
                MessageBuilder.DEFAULT_CHANNEL, TestNetwork.now());
        assertThat(net.client().post(m, true).processed()).as("the CCN processes a PROGRAM naming an upstream runtime").isTrue();
        return m.itemHash();
    }

    ProgramBuilder fastapi(String runtime) {
        // upstream's CLI: runtime.use_latest true, a comment naming the runtime
        return net.zipProgram(fastapiCode, "main:app").timeoutSeconds(30.0).memory(256).runtime(runtime)
                .runtimeComment("Aleph Debian 12 Python");
    }

    JsonNode get(CrnNode node, String path) throws Exception {
        return TestNetwork.json(net.get(URI.create(node.url() + path)));
    }

    @Test
    void aProgramOnUpstreamsDefaultRuntimeAnswersWithoutItsStoreAndNoRuntimeFileIsFetched() throws Exception {
        String hash = upstreamProgram(fastapi(DEBIAN_12));

        HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + hash + "/"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(TestNetwork.json(r).path("message").asText()).isEqualTo("Hello World");
        assertThat(r.headers().firstValue("Aleph-Program-Code-Ref")).contains(fastapiCode);
        // the runtime ref was never asked of the CCN (no STORE, no file), and no file besides the code was kept
        assertThat(ccn.asked()).noneMatch(p -> p.contains(DEBIAN_12));
        try (Stream<Path> files = Files.list(dir.resolve("crn/files"))) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))).hasSize(1);
        }
        JsonNode running = get(crn, "/about/executions/list").path(hash);
        assertThat(running.path("vm_type").asText()).isEqualTo("microvm");
        assertThat(running.path("executor").asText()).isEqualTo(crn.executorName());
        JsonNode v2 = get(crn, "/v2/about/executions/list").path(hash);
        assertThat(v2.path("vm_type").asText()).isEqualTo("microvm");
        assertThat(v2.path("executor").asText()).isEqualTo(crn.executorName());
        assertThat(v2.path("persistent").asBoolean()).isFalse();
    }

    @Test
    void codeSentAsUpstreamsCliSendsLargeCodeThroughIpfsAddFileRuns() throws Exception {
        // upstream's client: the file alone to /api/v0/ipfs/add_file, then a STORE with item_type ipfs and the answered hash
        byte[] zip = fastapiZip; // the same file as the other tests' code: the node keeps one copy
        String boundary = "aleph4j-" + System.nanoTime();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"code.zip\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        body.write(zip);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        HttpResponse<String> added = net.http().send(java.net.http.HttpRequest.newBuilder(URI.create(net.ccnUrl() + "/api/v0/ipfs/add_file"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
        String fileHash = TestNetwork.json(added).path("hash").asText();
        assertThat(fileHash).isEqualTo(org.aleph4j.message.ItemHashes.sha256Hex(zip));
        String store = net.publish(net.user(), MessageType.STORE, new org.aleph4j.message.content.StoreContent(net.user().address(),
                TestNetwork.now(), org.aleph4j.message.ItemType.IPFS, fileHash, null, null, null, null, null));

        String hash = upstreamProgram(net.zipProgram(store, "main:app").timeoutSeconds(30.0).memory(256).runtime(DEBIAN_12));
        HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + hash + "/"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(TestNetwork.json(r).path("message").asText()).isEqualTo("Hello World");
    }

    @Test
    void aRefOutsideTheTableStillGetsA503NamingIt() throws Exception {
        // a runtime STORE this network has, but neither aleph4j's own nor in the node's table
        String unknown = net.store(net.user(), "a runtime image this node does not know".getBytes(), null);
        String hash = upstreamProgram(fastapi(unknown));

        HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + hash + "/"));

        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode body = TestNetwork.json(r);
        assertThat(body.path("error").asText()).isEqualTo("runtime " + unknown + " is not available on this node");
        assertThat(body.path("details").path("supported").toString()).contains(DEBIAN_12, DEBIAN_11, DefaultRuntime.ref());
        assertThat(get(crn, "/about/executions/list").has(hash)).isFalse();
    }

    @Test
    void aboutListsEachRuntimeWithItsOriginWhatItProvidesAndTheInterpreterServingIt() throws Exception {
        JsonNode runtimes = get(crn, "/about").path("runtimes");

        assertThat(runtimes).hasSize(3);
        JsonNode own = runtimes.get(0);
        assertThat(own.path("ref").asText()).isEqualTo(DefaultRuntime.ref());
        assertThat(own.path("origin").asText()).isEqualTo("aleph4j-default");
        JsonNode debian12 = find(runtimes, DEBIAN_12);
        assertThat(debian12.path("name").asText()).isEqualTo("aleph-debian-12-python");
        assertThat(debian12.path("origin").asText()).isEqualTo("upstream-mapped");
        assertThat(debian12.path("provides").asText()).contains("FastAPI", "aiohttp", "uvicorn", "pip");
        assertThat(debian12.path("python").asText()).isEqualTo("/usr/bin/python3");
        JsonNode servedBy = debian12.path("served_by");
        assertThat(servedBy.path("python").asText()).isEqualTo("/usr/bin/python3");
        assertThat(servedBy.path("version").asText()).startsWith("3.");
        // what the interpreter really has: FastAPI and uvicorn run every ASGI test here; aiohttp may be missing
        assertThat(servedBy.path("modules").path("fastapi").isTextual()).isTrue();
        assertThat(servedBy.path("modules").path("uvicorn").isTextual()).isTrue();
        assertThat(servedBy.path("modules").has("aiohttp")).isTrue();
        boolean aiohttp = servedBy.path("modules").path("aiohttp").isTextual();
        assertThat(servedBy.path("missing").toString().contains("aiohttp")).isEqualTo(!aiohttp);
        assertThat(find(runtimes, DEBIAN_11).path("name").asText()).isEqualTo("aleph-debian-11-python");
    }

    @Test
    void theRuntimeMapReplacesTheTable() throws Exception {
        // upstream's table off, only its Debian 11 runtime mapped, on the same interpreter
        CrnConfig config = CrnConfig.defaults(dir.resolve("crn-map"), ccn.url())
                .withRuntimeMap(RuntimeMap.parse(false, List.of(DEBIAN_11 + "=/usr/bin/python3")));
        try (CrnNode mapped = new CrnNode(config, LeaseDirectory.NONE).start()) {
            String on12 = upstreamProgram(fastapi(DEBIAN_12));
            String on11 = upstreamProgram(fastapi(DEBIAN_11));

            HttpResponse<String> refused = net.get(URI.create(mapped.url() + "/vm/" + on12 + "/"));
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(TestNetwork.json(refused).path("error").asText()).contains(DEBIAN_12, "not available");
            HttpResponse<String> served = net.get(URI.create(mapped.url() + "/vm/" + on11 + "/"));
            assertThat(served.statusCode()).as(served.body()).isEqualTo(200);

            JsonNode runtimes = get(mapped, "/about").path("runtimes");
            assertThat(runtimes.toString()).doesNotContain(DEBIAN_12);
            assertThat(find(runtimes, DEBIAN_11).path("origin").asText()).isEqualTo("upstream-mapped");
            assertThat(mapped.supportedRuntimes()).containsExactly(DefaultRuntime.ref(), DEBIAN_11);
        }
    }

    @Test
    void aPersistentProgramOnAnUpstreamRuntimeIsListedAsAPersistentProgram() throws Exception {
        String hash = upstreamProgram(fastapi(DEBIAN_12).persistent(true));
        PersistentHost host = crn.persistentHost();
        host.ensureRunning(hash, 3, Duration.ofSeconds(60));
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> host.persistentExecutions().stream()
                    .anyMatch(s -> s.itemHash().equals(hash) && s.state().equals("RUNNING")));
            HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + hash + "/"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(get(crn, "/about/executions/list").path(hash).path("vm_type").asText()).isEqualTo("persistent_program");
            JsonNode v2 = get(crn, "/v2/about/executions/list").path(hash);
            assertThat(v2.path("vm_type").asText()).isEqualTo("persistent_program");
            assertThat(v2.path("executor").asText()).isEqualTo(crn.executorName());
            assertThat(v2.path("epoch").asLong()).isEqualTo(3);
        } finally {
            host.stop(hash, "test done");
        }
    }

    private static JsonNode find(JsonNode runtimes, String ref) {
        for (JsonNode r : runtimes) if (r.path("ref").asText().equals(ref)) return r;
        throw new AssertionError("no runtime " + ref + " in " + runtimes);
    }
}
