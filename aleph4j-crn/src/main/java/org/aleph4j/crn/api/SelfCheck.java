package org.aleph4j.crn.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.crn.execution.Executor;
import org.aleph4j.crn.execution.WatchedProcess;

/**
 * {@code /status/check/fastapi}: runs the built-in FastAPI program (shipped as a resource, no CCN
 * needed) through the same executor and watchdog as user programs, with internet as upstream's
 * diagnostic program has it, and reports upstream's booleans for what was really tried from inside
 * the program: {@code dns} resolves a public name (A and AAAA, as upstream asks), {@code ipv4} gets a
 * verified HTTPS answer from public addresses, {@code internet} fetches public HTTPS sites. What the
 * node cannot test ({@code messages}, {@code get_a_message}, {@code cache}) is false. {@code details}
 * says, per key, what was tried and why it failed.
 */
public final class SelfCheck {
    /** Checks that must pass for 200: upstream's list. */
    static final List<String> REQUIRED = List.of("index", "environ", "ipv4", "internet", "dns", "error_handling", "lifespan");
    static final List<String> KEYS = List.of("index", "environ", "messages", "dns", "ipv4", "internet", "cache",
            "persistent_storage", "error_handling", "get_a_message", "lifespan");
    private static final Duration NETWORK_CHECK_TIMEOUT = Duration.ofSeconds(15);
    private final Executor executor;
    private final Path dir;
    private final Path python;
    // HTTP/1.1: the default HTTP/2 client sends an h2c upgrade that uvicorn answers with 400
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    public SelfCheck(Executor executor, Path dataDir, Path python) {
        this.executor = executor;
        this.dir = dataDir.resolve("selfcheck");
        this.python = python;
    }

    public synchronized Map<String, Object> run() throws IOException {
        Files.createDirectories(dir.resolve("code"));
        try (InputStream in = SelfCheck.class.getResourceAsStream("fastapi-check/main.py")) {
            Files.copy(in, dir.resolve("code/main.py"), StandardCopyOption.REPLACE_EXISTING);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        for (String k : KEYS) result.put(k, false);
        Map<String, String> details = new LinkedHashMap<>();
        // programs reach messages and the cache through their guest API, which this diagnostic run does not open
        details.put("messages", "not tested: the diagnostic program runs without a guest API (no CCN proxy)");
        details.put("get_a_message", "not tested: the diagnostic program runs without a guest API (no CCN proxy)");
        details.put("cache", "not tested: the diagnostic program runs without a guest API (no cache)");
        Path work = dir.resolve("work");
        Files.createDirectories(work);
        Executor.View view = executor.view(dir.resolve("code"), work);
        int port = view.port();
        String id = "selfcheck-" + System.nanoTime();
        Map<String, String> env = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", view.workDir().toString(), "LANG", "C.UTF-8",
                "ALEPH4J_ITEM_HASH", "selfcheck", "ALEPH4J_EXECUTION", id, "ALEPH4J_EXECUTOR", executor.name());
        // internet as upstream's diagnostic program asks it: the checks below see what programs with internet get
        WatchedProcess p = executor.spawn(new Executor.Spec(id,
                List.of(python.toString(), "-m", "uvicorn", "main:app", "--host", view.bindHost(), "--port", Integer.toString(port),
                        "--app-dir", view.codeDir().toString(), "--no-access-log"),
                work, env, dir.resolve("stdout.log"), dir.resolve("stderr.log"), port, 256, 1, null, dir.resolve("code"), true));
        try {
            if (!executor.awaitReady(p, Duration.ofSeconds(30))) {
                for (String k : KEYS) details.putIfAbsent(k, "not tested: the diagnostic program did not start");
                result.put("details", details);
                return result;
            }
            String base = "http://" + p.address() + ":" + port;
            // the network checks wait on timeouts when the network drops packets: run them side by side
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                var dns = pool.submit(() -> check(base + "/dns"));
                var ipv4 = pool.submit(() -> check(base + "/ip/4"));
                var internet = pool.submit(() -> check(base + "/internet"));
                result.put("index", get(base + "/").statusCode() == 200);
                HttpResponse<String> environ = get(base + "/environ");
                result.put("environ", environ.statusCode() == 200 && environ.body().contains("ALEPH4J_ITEM_HASH"));
                details.put("environ", "the program sees the variables the node sets (ALEPH4J_ITEM_HASH)");
                result.put("lifespan", get(base + "/lifespan").body().contains("true"));
                // a program that raises gets a 500 and keeps serving
                result.put("error_handling", get(base + "/raise").statusCode() == 500 && get(base + "/").statusCode() == 200);
                HttpResponse<String> first = get(base + "/state/increment");
                HttpResponse<String> second = get(base + "/state/increment");
                result.put("persistent_storage", first.statusCode() == 200 && second.statusCode() == 200
                        && counter(second) >= counter(first) + 1);
                details.put("persistent_storage", "a counter in the program's writable data directory (HOME)");
                record(result, details, "dns", dns, "resolve example.org to an IPv4 and an IPv6 address");
                record(result, details, "ipv4", ipv4, "a verified HTTPS answer from 9.9.9.9, 208.67.222.222 or 94.140.14.14");
                record(result, details, "internet", internet, "HTTPS GET of aleph.im, ethereum.org or ipfs.io");
            }
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            for (String k : KEYS) details.putIfAbsent(k, "not tested: the diagnostic program stopped answering (" + e + ")");
        } finally {
            p.kill();
            executor.release(id);
        }
        result.put("details", details);
        return result;
    }

    /** One network check's answer: {@code {"result": bool, "reason": ...}} from the program. */
    private JsonNode check(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(NETWORK_CHECK_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("HTTP " + r.statusCode() + " from the diagnostic program");
        return Json.MAPPER.readTree(r.body());
    }

    private static void record(Map<String, Object> result, Map<String, String> details, String key,
                               java.util.concurrent.Future<JsonNode> answer, String tried) {
        try {
            JsonNode j = answer.get(NETWORK_CHECK_TIMEOUT.toSeconds() + 5, java.util.concurrent.TimeUnit.SECONDS);
            boolean ok = j.path("result").asBoolean(false);
            result.put(key, ok);
            details.put(key, ok ? tried + ": passed" : tried + ": failed: " + j.path("reason").asText("no reason given"));
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            details.put(key, tried + ": no answer from the diagnostic program (" + cause + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            details.put(key, tried + ": interrupted");
        }
    }

    private static long counter(HttpResponse<String> r) {
        try {
            return Json.MAPPER.readTree(r.body()).path("counter").asLong(-1);
        } catch (IOException e) {
            return -1;
        }
    }

    static boolean healthy(Map<String, Object> result) {
        return REQUIRED.stream().allMatch(k -> Boolean.TRUE.equals(result.get(k)));
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
