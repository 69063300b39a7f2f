package org.aleph4j.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import org.aleph4j.message.Json;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.scheduler.console.Console;
import org.aleph4j.scheduler.engine.NodeRows;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The console over real HTTP: a real scheduler, the testkit's real CCN, CRNs played by signed
 * heartbeat loops, and a small real HTTP server standing in for a CRN where the console calls one.
 */
class ConsoleApiTest {
    static final Duration TTL = Duration.ofMillis(1500);
    static final Duration DRIFT = Duration.ofMillis(500);
    static final Duration BEAT = Duration.ofMillis(200);
    static final String HOSTILE_NAME = "<img src=x onerror=alert(1)>";

    @TempDir
    Path dir;
    TestNetwork net;
    String codeRef;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(1_000_000).start();
        codeRef = net.store(net.user(), SamplePrograms.HELLO_PY.getBytes(StandardCharsets.UTF_8), null);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) toClose.get(i).close();
        http.shutdownNow();
        net.close();
    }

    SchedulerNode scheduler(boolean console) {
        SchedulerNode s = new SchedulerNode(SchedulerConfig.defaults(dir.resolve("scheduler"), net.ccnUrl())
                .withAllowedNodes(Set.of("*")).withLease(TTL, DRIFT).withIntervals(BEAT, Duration.ofSeconds(1))
                .withConsole(console)).start();
        toClose.add(s);
        return s;
    }

    /** A heartbeating node at {@code publicUrl}; null: a URL that refuses connections at once. */
    FakeCrn crn(SchedulerNode s, URI publicUrl) {
        FakeCrn c = new FakeCrn(List.of(s.url()), BEAT, publicUrl != null ? publicUrl
                : URI.create("http://127.0.0.1:1/crn-" + toClose.size()));
        toClose.add(c);
        return c.start();
    }

    String program(boolean persistent, String name) throws Exception {
        ProgramContent content = net.programBuilder(codeRef, "main.py", Encoding.PLAIN).persistent(persistent).name(name)
                .time(TestNetwork.now()).build();
        return net.program(net.user(), content);
    }

    HttpResponse<String> get(SchedulerNode s, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode json(SchedulerNode s, String path) throws Exception {
        HttpResponse<String> r = get(s, path);
        assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        return Json.MAPPER.readTree(r.body());
    }

    static void assertError(HttpResponse<String> r, int status, int code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.path("error").isTextual()).as(r.body()).isTrue();
        assertThat(body.path("error_code").asInt(-99)).as(r.body()).isEqualTo(code);
        assertThat(body.has("details")).as(r.body()).isTrue();
    }

    /** A stand-in CRN: answers its executions list and its logs endpoint, and records what reached it. */
    static final class CapturingCrn implements AutoCloseable {
        final HttpServer server;
        final List<Map<String, List<String>>> logRequests = new CopyOnWriteArrayList<>();
        final List<String> logPaths = new CopyOnWriteArrayList<>();
        volatile String executions = "{}";
        volatile int logStatus = 200;
        volatile String logBody = "[{\"MESSAGE\":\"hello from the program\",\"file\":\"stdout\",\"__REALTIME_TIMESTAMP\":\"1764441816000000\"}]";

        CapturingCrn() throws Exception {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/about/executions/list", ex -> {
                byte[] b = executions.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            server.createContext("/control/machine/", ex -> {
                logRequests.add(Map.copyOf(ex.getRequestHeaders()));
                logPaths.add(ex.getRequestURI().toString());
                byte[] b = logBody.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(logStatus, b.length);
                ex.getResponseBody().write(b);
                ex.close();
            });
            server.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    @Test
    void thePageIsServedWithAStrictContentSecurityPolicyAndNoInlineScript() throws Exception {
        SchedulerNode s = scheduler(true);
        HttpResponse<String> redirect = get(s, "/console");
        assertThat(redirect.statusCode()).isEqualTo(302);
        assertThat(redirect.headers().firstValue("Location").orElse("")).isEqualTo("/console/");
        HttpResponse<String> page = get(s, "/console/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertThat(csp).contains("default-src 'self'").contains("script-src 'self'").doesNotContain("unsafe-inline")
                .doesNotContain("unsafe-eval");
        assertThat(page.headers().firstValue("Cache-Control")).isPresent();
        assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        // every script is a file of the console, no handler is inline
        assertThat(Pattern.compile("<script(?![^>]*\\bsrc=)", Pattern.CASE_INSENSITIVE).matcher(page.body()).find()).isFalse();
        assertThat(Pattern.compile("\\son[a-z]+\\s*=", Pattern.CASE_INSENSITIVE).matcher(page.body()).find()).isFalse();
        for (String id : List.of("id=\"nodes\"", "id=\"programs\"", "id=\"filter-owner\"", "id=\"filter-state\"", "id=\"search\"",
                "id=\"messages\"", "id=\"message-json\"", "id=\"connection\"")) {
            assertThat(page.body()).contains(id);
        }
        HttpResponse<String> js = get(s, "/console/app.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type").orElse("")).startsWith("text/javascript");
        assertThat(js.body()).doesNotContain("innerHTML").doesNotContain("outerHTML").doesNotContain("insertAdjacentHTML")
                .doesNotContain("eval(").doesNotContain("document.write");
        HttpResponse<String> css = get(s, "/console/style.css");
        assertThat(css.headers().firstValue("Content-Type").orElse("")).startsWith("text/css");
        String etag = css.headers().firstValue("ETag").orElseThrow();
        assertThat(get(s, "/console/style.css", "If-None-Match", etag).statusCode()).isEqualTo(304);
        assertError(get(s, "/console/pom.xml"), 404, 10);
        assertError(get(s, "/console/.env"), 404, 10);
    }

    @Test
    void networkProgramsAndTheProgramPageShowWhereAProgramRunsAndHowItMoved() throws Exception {
        SchedulerNode s = scheduler(true);
        FakeCrn one = crn(s, null);
        String hash = program(true, HOSTILE_NAME);
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(hash));
        FakeCrn two = crn(s, null);
        String hashOne = NodeRows.nodeHash(one.address());
        String hashTwo = NodeRows.nodeHash(two.address());

        await().atMost(Duration.ofSeconds(5)).until(() -> json(s, "/api/v1/console/network").path("nodes").size() == 2);
        JsonNode network = json(s, "/api/v1/console/network");
        assertThat(network.path("ccn").path("url").asText()).isEqualTo(net.ccnUrl().toString());
        JsonNode nodeOne = null;
        for (JsonNode n : network.path("nodes")) if (n.path("node_hash").asText().equals(hashOne)) nodeOne = n;
        assertThat(nodeOne).isNotNull();
        assertThat(nodeOne.path("state").asText()).isEqualTo("active");
        assertThat(nodeOne.path("url").asText()).isEqualTo(one.publicUrl.toString());
        assertThat(nodeOne.path("executor").path("name").asText()).isEqualTo("sandbox");
        assertThat(nodeOne.path("capacity").path("vcpus").asInt()).isEqualTo(4);
        assertThat(nodeOne.path("used").path("vcpus").asInt()).isEqualTo(1);
        assertThat(nodeOne.path("heartbeat_age_s").asDouble()).isBetween(0.0, 5.0);
        assertThat(nodeOne.path("programs").get(0).path("item_hash").asText()).isEqualTo(hash);
        assertThat(nodeOne.path("programs").get(0).path("kind").asText()).isEqualTo("persistent");

        // the list, with its name passed on raw (the page shows it as text) and a cost from the CCN
        await().atMost(Duration.ofSeconds(5)).until(() -> HOSTILE_NAME.equals(
                json(s, "/api/v1/console/programs").path("programs").path(0).path("name").asText(null)));
        JsonNode programs = json(s, "/api/v1/console/programs");
        JsonNode item = programs.path("programs").get(0);
        assertThat(item.path("item_hash").asText()).isEqualTo(hash);
        assertThat(item.path("state").asText()).isEqualTo("scheduled");
        assertThat(item.path("node_hash").asText()).isEqualTo(hashOne);
        assertThat(item.path("epoch").asLong()).isEqualTo(1);
        assertThat(item.path("owner").asText()).isEqualToIgnoringCase(net.user().address());
        assertThat(item.path("resources").path("vcpus").asInt()).isEqualTo(1);
        assertThat(item.path("cost").path("required_tokens").isMissingNode()).isFalse();
        assertThat(get(s, "/api/v1/console/programs").body()).contains("\"name\":\"" + HOSTILE_NAME + "\"");
        // filters
        String owner = net.user().address();
        assertThat(json(s, "/api/v1/console/programs?owner=" + owner.toLowerCase()).path("programs").size()).isEqualTo(1);
        assertThat(json(s, "/api/v1/console/programs?owner=0x" + "1".repeat(40)).path("programs").size()).isZero();
        assertThat(json(s, "/api/v1/console/programs?state=scheduled").path("programs").size()).isEqualTo(1);
        assertThat(json(s, "/api/v1/console/programs?state=removed").path("programs").size()).isZero();
        assertThat(json(s, "/api/v1/console/programs?q=" + hash.substring(10, 20)).path("programs").size()).isEqualTo(1);
        assertThat(json(s, "/api/v1/console/programs?q=ONERROR").path("programs").size()).isEqualTo(1);
        assertThat(json(s, "/api/v1/console/programs?q=nothing-like-it").path("programs").size()).isZero();
        assertThat(json(s, "/api/v1/console/programs?page_size=1&page=2").path("programs").size()).isZero();

        // the holder stops heartbeating: the program moves, the node shows lost, the timeline says why
        one.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> two.holds(hash));
        JsonNode page = json(s, "/api/v1/console/programs/" + hash);
        assertThat(page.path("program").path("node_hash").asText()).isEqualTo(hashTwo);
        assertThat(page.path("program").path("epoch").asLong()).isEqualTo(2);
        List<String> categories = new ArrayList<>();
        JsonNode move = null;
        for (JsonNode h : page.path("history")) {
            if (h.path("move").asBoolean()) categories.add(h.path("category").asText());
            if (hashTwo.equals(h.path("to_node").asText(null))) move = h;
        }
        assertThat(categories.getFirst()).isEqualTo("placed");
        assertThat(categories).contains("node-lost");
        assertThat(move).isNotNull();
        assertThat(move.path("from_node").asText()).isEqualTo(hashOne);
        assertThat(move.path("category").asText()).isEqualTo("node-lost");
        assertThat(move.path("epoch").asLong()).isEqualTo(2);
        assertThat(move.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
        assertThat(page.path("message").path("type").asText()).isEqualTo("PROGRAM");
        assertThat(page.path("message").path("refs").toString()).contains(codeRef);
        assertThat(page.path("volumes").isArray()).isTrue();
        await().atMost(Duration.ofSeconds(5)).until(() -> {
            for (JsonNode n : json(s, "/api/v1/console/network").path("nodes")) {
                if (n.path("node_hash").asText().equals(hashOne)) return n.path("state").asText().equals("lost");
            }
            return false;
        });

        // messages: the PROGRAM in the list and its JSON by hash
        JsonNode messages = json(s, "/api/v1/console/messages?type=PROGRAM&page_size=5");
        assertThat(messages.path("messages").get(0).path("item_hash").asText()).isEqualTo(hash);
        assertThat(messages.path("messages").get(0).path("type").asText()).isEqualTo("PROGRAM");
        assertThat(messages.path("messages").get(0).path("sender").asText()).isEqualToIgnoringCase(owner);
        assertThat(messages.path("messages").get(0).path("status").asText()).isEqualTo("processed");
        assertThat(messages.path("messages").get(0).path("name").asText()).isEqualTo(HOSTILE_NAME);
        assertThat(messages.path("ccn").path("reachable").asBoolean()).isTrue();
        JsonNode one1 = json(s, "/api/v1/console/messages/" + hash);
        assertThat(one1.path("answer").path("message").path("item_hash").asText()).isEqualTo(hash);
        assertError(get(s, "/api/v1/console/messages/" + "ab".repeat(32)), 404, 10);
    }

    @Test
    void aNodeThatDrainsShowsDrainingAndTheMoveSaysDrain() throws Exception {
        SchedulerNode s = scheduler(true);
        FakeCrn one = crn(s, null);
        String hash = program(true, "drained");
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(hash));
        FakeCrn two = crn(s, null);
        await().atMost(Duration.ofSeconds(5)).until(() -> two.lastReply != null);
        // what a CRN does when it shuts down cleanly: stop heartbeating, hand its programs back
        one.stop();
        one.client.release(one.key, hash, 1, "node draining");
        await().atMost(Duration.ofSeconds(5)).until(() -> two.holds(hash));
        String hashOne = NodeRows.nodeHash(one.address());
        for (JsonNode n : json(s, "/api/v1/console/network").path("nodes")) {
            assertThat(n.path("state").asText()).isEqualTo(n.path("node_hash").asText().equals(hashOne) ? "draining" : "active");
        }
        JsonNode page = json(s, "/api/v1/console/programs/" + hash);
        List<String> moves = new ArrayList<>();
        for (JsonNode h : page.path("history")) if (h.path("move").asBoolean()) moves.add(h.path("category").asText());
        assertThat(moves).containsExactly("placed", "drain", "drain");
    }

    @Test
    void badInputGetsAFourHundredWithTheUsualBody() throws Exception {
        SchedulerNode s = scheduler(true);
        String bad = "/api/v1/console/";
        assertError(get(s, bad + "programs?owner=alice"), 400, 0);
        assertError(get(s, bad + "programs?state=running-everywhere"), 400, 0);
        assertError(get(s, bad + "programs?page_size=100000"), 400, 0);
        assertError(get(s, bad + "programs?page=0"), 400, 0);
        assertError(get(s, bad + "programs?page=abc"), 400, 0);
        assertError(get(s, bad + "programs?q=" + "x".repeat(101)), 400, 0);
        assertError(get(s, bad + "programs?q=%00"), 400, 0);
        assertError(get(s, bad + "programs/not-a-hash"), 400, 0);
        assertError(get(s, bad + "programs/%3Cimg%20src%3Dx%3E"), 400, 0);
        assertError(get(s, bad + "programs/" + "0".repeat(64)), 404, 10);
        assertError(get(s, bad + "messages?page_size=1000"), 400, 0);
        assertError(get(s, bad + "messages?type=NOPE"), 400, 0);
        assertError(get(s, bad + "messages?sender=bob"), 400, 0);
        assertError(get(s, bad + "messages/zzz"), 400, 0);
        assertError(get(s, bad + "programs/" + "0".repeat(64) + "/logs"), 400, 0);
        assertError(get(s, bad + "programs/" + "0".repeat(64) + "/logs", Console.GRANT_HEADER, "not base64url!"), 400, 0);
        assertError(get(s, bad + "programs/" + "0".repeat(64) + "/logs?limit=0", Console.GRANT_HEADER, "abc"), 400, 0);
        assertError(get(s, bad + "programs/" + "0".repeat(64) + "/logs", Console.GRANT_HEADER, "abc"), 404, 10);
        assertError(get(s, bad + "nothing-here"), 404, 10);
        assertError(get(s, bad + "programs/" + "0".repeat(64) + "/more"), 404, 10);
    }

    @Test
    void withTheConsoleOffItsPathsAnswerNotFound() throws Exception {
        SchedulerNode s = scheduler(false);
        assertError(get(s, "/console/"), 404, 10);
        assertError(get(s, "/console"), 404, 10);
        assertError(get(s, "/console/app.js"), 404, 10);
        assertError(get(s, "/api/v1/console/network"), 404, 10);
        assertError(get(s, "/api/v1/console/events"), 404, 10);
        assertError(get(s, "/api/v1/console/programs/" + "0".repeat(64) + "/logs"), 404, 10);
        assertThat(get(s, "/api/v1/nodes").statusCode()).isEqualTo(200);
    }

    @Test
    void theEventStreamSignalsAChangeAndRefusesStreamsBeyondItsBound() throws Exception {
        SchedulerNode s = scheduler(true);
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(s.url() + "/api/v1/console/events")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> events = new CopyOnWriteArrayList<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) if (line.startsWith("event: ")) events.add(line.substring(7));
            } catch (Exception e) {
                // closed by the test
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("hello"));
        assertThat(events).doesNotContain("change");
        crn(s, null); // a node joins: its first heartbeat changes the network
        await().atMost(Duration.ofSeconds(5)).until(() -> events.contains("change"));

        // at most 64 streams at once (this one and 63 more); the next one gets the usual error body
        List<CompletableFuture<HttpResponse<InputStream>>> open = new ArrayList<>();
        HttpClient many = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
        try {
            for (int i = 1; i < Console.MAX_STREAMS; i++) {
                open.add(many.sendAsync(HttpRequest.newBuilder(URI.create(s.url() + "/api/v1/console/events")).build(),
                        HttpResponse.BodyHandlers.ofInputStream()));
            }
            for (var f : open) assertThat(f.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
            assertError(get(s, "/api/v1/console/events"), 503, Console.TOO_MANY_STREAMS);
            assertThat(get(s, "/api/v1/console/network").statusCode()).isEqualTo(200); // the rest still answers
        } finally {
            stream.body().close();
            reader.join(5000);
            for (var f : open) if (f.isDone() && !f.isCompletedExceptionally()) f.get().body().close();
            many.shutdownNow();
        }
    }

    @Test
    void logsAreForwardedToTheNodeWithTheGrantHeaderAndNothingElse() throws Exception {
        SchedulerNode s = scheduler(true);
        CapturingCrn node = new CapturingCrn();
        toClose.add(node);
        FakeCrn holder = crn(s, node.url());
        String hash = program(true, "logs");
        await().atMost(Duration.ofSeconds(10)).until(() -> holder.holds(hash));
        String grant = "eyJpdGVtX2hhc2giOiJhYmMifQ";
        HttpResponse<String> r = get(s, "/api/v1/console/programs/" + hash + "/logs?limit=50", Console.GRANT_HEADER, grant,
                "Cookie", "session=secret", "Authorization", "Bearer secret", "X-Other", "1");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(node.logBody);
        assertThat(node.logPaths).containsExactly("/control/machine/" + hash + "/logs?limit=50");
        Map<String, List<String>> sent = node.logRequests.getFirst();
        Map<String, List<String>> lower = new ConcurrentHashMap<>();
        sent.forEach((k, v) -> lower.put(k.toLowerCase(), v));
        assertThat(lower.get(Console.GRANT_HEADER.toLowerCase())).containsExactly(grant);
        assertThat(lower).doesNotContainKeys("cookie", "authorization", "x-other");
        assertThat(lower.keySet()).allMatch(k -> Set.of("x-aleph4j-logs-grant", "host", "user-agent", "connection",
                "content-length", "upgrade", "http2-settings").contains(k), "only the grant and the client's own headers");
        // the node's refusal is relayed as it is
        node.logStatus = 403;
        node.logBody = "{\"error\":\"Unauthorized sender\",\"error_code\":403,\"details\":{}}";
        HttpResponse<String> refused = get(s, "/api/v1/console/programs/" + hash + "/logs", Console.GRANT_HEADER, grant);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).isEqualTo(node.logBody);
        // without the header nothing reaches the node
        int before = node.logRequests.size();
        assertError(get(s, "/api/v1/console/programs/" + hash + "/logs", "Cookie", "a=b"), 400, 0);
        assertThat(node.logRequests).hasSize(before);

        // an on-demand program the node runs shows up in the lists, on that node
        String onDemand = program(false, "on demand");
        node.executions = "{\"" + onDemand + "\":{\"vm_type\":\"microvm\"},\"not-a-hash\":{}}";
        await().atMost(Duration.ofSeconds(10)).until(() -> json(s, "/api/v1/console/programs?state=on-demand").path("programs").size() == 1);
        JsonNode item = json(s, "/api/v1/console/programs?state=on-demand").path("programs").get(0);
        assertThat(item.path("item_hash").asText()).isEqualTo(onDemand);
        assertThat(item.path("node_hash").asText()).isEqualTo(NodeRows.nodeHash(holder.address()));
        assertThat(item.path("name").asText()).isEqualTo("on demand");
        assertThat(json(s, "/api/v1/console/network").path("nodes").get(0).path("programs").toString()).contains(onDemand).contains(hash);
        assertThat(json(s, "/api/v1/console/programs/" + onDemand).path("program").path("state").asText()).isEqualTo("on-demand");
        // a node that does not answer gets a 502 with the usual body
        node.close();
        assertError(get(s, "/api/v1/console/programs/" + hash + "/logs", Console.GRANT_HEADER, grant), 502,
                Console.UPSTREAM_UNREACHABLE);
    }

    @Test
    void withTheCcnDownTheConsoleAnswersWithWhatTheSchedulerKnows() throws Exception {
        SchedulerNode s = scheduler(true);
        FakeCrn one = crn(s, null);
        String hash = program(true, "survivor");
        await().atMost(Duration.ofSeconds(10)).until(() -> one.holds(hash));
        await().atMost(Duration.ofSeconds(5)).until(() -> "survivor".equals(
                json(s, "/api/v1/console/programs").path("programs").path(0).path("name").asText(null)));
        json(s, "/api/v1/console/messages");
        net.close();
        AtomicInteger tries = new AtomicInteger();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            tries.incrementAndGet();
            return !json(s, "/api/v1/console/network").path("ccn").path("reachable").asBoolean(true);
        });
        JsonNode network = json(s, "/api/v1/console/network");
        assertThat(network.path("ccn").path("last_seen").isNumber()).isTrue();
        assertThat(network.path("nodes").size()).isEqualTo(1);
        JsonNode programs = json(s, "/api/v1/console/programs");
        assertThat(programs.path("programs").get(0).path("item_hash").asText()).isEqualTo(hash);
        assertThat(programs.path("programs").get(0).path("name").asText()).isEqualTo("survivor");
        assertThat(programs.path("ccn").path("reachable").asBoolean()).isFalse();
        assertThat(json(s, "/api/v1/console/programs/" + hash).path("program").path("node_hash").asText())
                .isEqualTo(NodeRows.nodeHash(one.address()));
        JsonNode messages = json(s, "/api/v1/console/messages");
        assertThat(messages.path("fresh").asBoolean()).isFalse();
        assertThat(messages.path("messages").size()).isPositive(); // the last page the CCN gave
        assertError(get(s, "/api/v1/console/messages/" + "cd".repeat(32)), 503, Console.UPSTREAM_UNREACHABLE);
    }
}
