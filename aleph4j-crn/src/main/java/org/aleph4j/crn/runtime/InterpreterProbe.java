package org.aleph4j.crn.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.aleph4j.message.Json;

/**
 * What an interpreter really has, for /about: its version and which of the modules upstream's runtimes
 * provide (FastAPI, aiohttp, uvicorn, pip) it can import, with their versions. Asked of the interpreter
 * itself ({@code python -I}, without importing the modules), bounded in time, and remembered for a minute
 * so an operator who installs a package sees it soon without /about starting a process per request.
 */
public final class InterpreterProbe {
    /** The modules upstream's Python runtimes provide to programs. */
    public static final List<String> MODULES = List.of("fastapi", "aiohttp", "uvicorn", "pip");
    static final Duration TTL = Duration.ofMinutes(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String SCRIPT = """
            import importlib.util, json, sys
            try:
                from importlib import metadata
            except ImportError:
                metadata = None
            mods = {}
            for m in sys.argv[1:]:
                if importlib.util.find_spec(m) is None:
                    mods[m] = None
                    continue
                try:
                    mods[m] = metadata.version(m)
                except Exception:
                    mods[m] = "present"
            print(json.dumps({"version": sys.version.split()[0], "modules": mods}))
            """;

    private record Seen(Map<String, Object> report, Instant at) {}

    private final InstantSource clock;
    private final Map<Path, Seen> seen = new ConcurrentHashMap<>();

    public InterpreterProbe(InstantSource clock) {
        this.clock = clock;
    }

    /**
     * {@code {python, version, modules: {name: version | null when missing}, missing: [...]}}, or
     * {@code {python, error}} when the interpreter cannot be run.
     */
    public Map<String, Object> describe(Path python) {
        Seen s = seen.get(python);
        Instant now = clock.instant();
        if (s != null && now.isBefore(s.at().plus(TTL))) return s.report();
        Map<String, Object> report = probe(python);
        seen.put(python, new Seen(report, now));
        return report;
    }

    private static Map<String, Object> probe(Path python) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("python", python.toString());
        if (!Files.isExecutable(python)) {
            r.put("error", "no executable interpreter at " + python);
            return r;
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(python.toString(), "-I", "-c", SCRIPT));
        cmd.addAll(MODULES);
        Process p = null;
        Path out = null;
        try {
            // output to a file, so a hung interpreter cannot block a read past the timeout
            out = Files.createTempFile("aleph4j-probe", ".out");
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                r.put("error", "the interpreter did not answer within " + TIMEOUT.toSeconds() + " s");
                return r;
            }
            String text = Files.readString(out, StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0) {
                r.put("error", "the interpreter exited with " + p.exitValue() + ": " + lastLine(text));
                return r;
            }
            JsonNode j = Json.MAPPER.readTree(text);
            r.put("version", j.path("version").asText());
            Map<String, Object> mods = new LinkedHashMap<>();
            List<String> missing = new java.util.ArrayList<>();
            for (String m : MODULES) {
                JsonNode v = j.path("modules").get(m);
                mods.put(m, v == null || v.isNull() ? null : v.asText());
                if (v == null || v.isNull()) missing.add(m);
            }
            r.put("modules", mods);
            r.put("missing", missing);
        } catch (IOException e) {
            r.put("error", "the interpreter could not be run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r.put("error", "interrupted while asking the interpreter");
        } finally {
            if (p != null && p.isAlive()) p.destroyForcibly();
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
        return r;
    }

    private static String lastLine(String s) {
        int i = s.lastIndexOf('\n');
        return i < 0 ? s : s.substring(i + 1);
    }
}
