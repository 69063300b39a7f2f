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
import org.aleph4j.crn.execution.Executor;
import org.aleph4j.crn.execution.WatchedProcess;

/**
 * {@code /status/check/fastapi}: runs the built-in FastAPI program (shipped as a resource, no CCN
 * needed) through the same executor and watchdog as user programs, and reports upstream's booleans.
 */
public final class SelfCheck {
    /** Checks that must pass for 200 (upstream's list without dns/internet, which depend on the host, not the node). */
    static final List<String> REQUIRED = List.of("index", "environ", "ipv4", "error_handling", "lifespan");
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
        for (String k : List.of("index", "environ", "messages", "dns", "ipv4", "internet", "cache", "persistent_storage",
                "error_handling", "get_a_message", "lifespan")) {
            result.put(k, false);
        }
        Path work = dir.resolve("work");
        Files.createDirectories(work);
        Executor.View view = executor.view(dir.resolve("code"), work);
        int port = view.port();
        String id = "selfcheck-" + System.nanoTime();
        Map<String, String> env = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", view.workDir().toString(), "LANG", "C.UTF-8",
                "ALEPH4J_ITEM_HASH", "selfcheck", "ALEPH4J_EXECUTION", id, "ALEPH4J_EXECUTOR", executor.name());
        WatchedProcess p = executor.spawn(new Executor.Spec(id,
                List.of(python.toString(), "-m", "uvicorn", "main:app", "--host", view.bindHost(), "--port", Integer.toString(port),
                        "--app-dir", view.codeDir().toString(), "--no-access-log"),
                work, env, dir.resolve("stdout.log"), dir.resolve("stderr.log"), port, 256, 1, null, dir.resolve("code"), false));
        try {
            if (!executor.awaitReady(p, Duration.ofSeconds(30))) return result;
            String base = "http://" + p.address() + ":" + port;
            result.put("ipv4", true);
            result.put("index", get(base + "/").statusCode() == 200);
            HttpResponse<String> environ = get(base + "/environ");
            result.put("environ", environ.statusCode() == 200 && environ.body().contains("ALEPH4J_ITEM_HASH"));
            result.put("lifespan", get(base + "/lifespan").body().contains("true"));
            result.put("error_handling", get(base + "/raise").statusCode() == 500);
            result.put("persistent_storage", get(base + "/state/increment").statusCode() == 200);
            try {
                java.net.InetAddress.getByName("localhost");
                result.put("dns", true);
            } catch (IOException ignored) {
                // stays false
            }
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        } finally {
            p.kill();
            executor.release(id);
        }
        return result;
    }

    static boolean healthy(Map<String, Object> result) {
        return REQUIRED.stream().allMatch(k -> Boolean.TRUE.equals(result.get(k)));
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
