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
import org.aleph4j.crn.execution.ProcessExecutor;
import org.aleph4j.crn.execution.WatchedProcess;

/**
 * {@code /status/check/fastapi}: runs the built-in FastAPI program (shipped as a resource, no CCN
 * needed) through the same executor and watchdog as user programs, and reports upstream's booleans.
 */
public final class SelfCheck {
    /** Checks that must pass for 200 (upstream's list without dns/internet, which depend on the host, not the node). */
    static final List<String> REQUIRED = List.of("index", "environ", "ipv4", "error_handling", "lifespan");
    private final ProcessExecutor executor;
    private final Path dir;
    private final Path python;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public SelfCheck(ProcessExecutor executor, Path dataDir, Path python) {
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
        int port = ProcessExecutor.freePort();
        Map<String, String> env = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", dir.toString(), "LANG", "C.UTF-8",
                "ALEPH4J_ITEM_HASH", "selfcheck", "ALEPH4J_EXECUTION", "selfcheck");
        WatchedProcess p = executor.spawn(new ProcessExecutor.Spec("selfcheck-" + port,
                List.of(python.toString(), "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", Integer.toString(port),
                        "--app-dir", dir.resolve("code").toString(), "--no-access-log"),
                dir, env, dir.resolve("stdout.log"), dir.resolve("stderr.log"), port, 256, 1, null));
        try {
            if (!ProcessExecutor.awaitReady(p, Duration.ofSeconds(30))) return result;
            String base = "http://127.0.0.1:" + port;
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
            executor.cgroups().remove("selfcheck-" + port);
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
