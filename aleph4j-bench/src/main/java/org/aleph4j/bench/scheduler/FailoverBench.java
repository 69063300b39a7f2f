package org.aleph4j.bench.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;

/**
 * Failover time with default settings: a CCN, a scheduler and three CRNs, each its own process
 * started with {@code bin/aleph-node}; a persistent program is uploaded with {@code bin/aleph};
 * then, per run, the CRN holding it is killed with SIGKILL and the time until a request through
 * another CRN first answers 200 from a new epoch is measured; the killed CRN is restarted.
 * Arguments: {@code [runs (default 10)] [repo root (default .)]}. Prints p50 and max; not a test.
 */
public final class FailoverBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private FailoverBench() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        Path root = Path.of(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
        Path dir = Files.createTempDirectory("aleph4j-failover");
        int base = 21_000 + new SecureRandom().nextInt(20_000);
        String ccn = "http://127.0.0.1:" + base;
        String scheduler = "http://127.0.0.1:" + (base + 1);
        List<String> crns = List.of("http://127.0.0.1:" + (base + 2), "http://127.0.0.1:" + (base + 3), "http://127.0.0.1:" + (base + 4));
        List<Process> all = new ArrayList<>();
        Process[] crnProcs = new Process[3];
        try {
            EthAccount oracle = EthAccount.generate(new SecureRandom());
            KeyFiles.write(dir.resolve("oracle.key"), oracle, false);
            List<String> addresses = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                EthAccount k = EthAccount.generate(new SecureRandom());
                KeyFiles.write(dir.resolve("crn-" + i + ".key"), k, false);
                addresses.add(k.address());
            }
            Map<String, String> env = Map.of("ALEPH_HOME", dir.resolve("home").toString(), "ALEPH_CCN_URL", ccn,
                    "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", crns.get(0), "ALEPH4J_LOG_LEVEL", "WARN");
            all.add(start(root, dir, env, "ccn", "aleph-node", "ccn", "--data", dir.resolve("ccn").toString(), "--port",
                    String.valueOf(base), "--oracle-addresses", oracle.address()));
            awaitUp(ccn + "/api/v0/messages.json", Duration.ofSeconds(90));
            EthAccount schedulerKey = EthAccount.generate(new SecureRandom());
            KeyFiles.write(dir.resolve("scheduler.key"), schedulerKey, false);
            String schedulerAddress = schedulerKey.address();
            all.add(start(root, dir, env, "scheduler", "aleph-node", "scheduler", "--data", dir.resolve("scheduler").toString(),
                    "--port", String.valueOf(base + 1), "--ccn-url", ccn, "--allowed-nodes", String.join(",", addresses),
                    "--key-file", dir.resolve("scheduler.key").toString()));
            for (int i = 0; i < 3; i++) {
                crnProcs[i] = startCrn(root, dir, env, i, base, ccn, scheduler, schedulerAddress);
                all.add(crnProcs[i]);
            }
            for (String crn : crns) awaitUp(crn + "/about", Duration.ofSeconds(90));
            EthAccount user = EthAccount.generate(new SecureRandom());
            KeyFiles.write(dir.resolve("home/private-keys/ethereum.key"), user, false);
            run(root, dir, env, "aleph-node", "fund", "--ccn-url", ccn, "--oracle-key", dir.resolve("oracle.key").toString(), user.address());
            Path code = Files.createDirectories(dir.resolve("program"));
            Files.writeString(code.resolve("run.sh"), "#!/bin/sh\nexec python3 -c 'import http.server,os,json\n"
                    + "class H(http.server.BaseHTTPRequestHandler):\n"
                    + "  def do_GET(s):\n"
                    + "    b=json.dumps({\"epoch\":os.environ.get(\"ALEPH4J_EPOCH\")}).encode();s.send_response(200);"
                    + "s.send_header(\"Content-Length\",str(len(b)));s.end_headers();s.wfile.write(b)\n"
                    + "  def log_message(s,*a): pass\n"
                    + "http.server.ThreadingHTTPServer((\"0.0.0.0\",int(os.environ[\"PORT\"])),H).serve_forever()'\n");
            code.resolve("run.sh").toFile().setExecutable(true);
            String upload = run(root, dir, env, "aleph", "program", "upload", "--persistent", code.toString(), "run.sh", "--json");
            String hash = Json.MAPPER.readTree(upload).path("item_hash").asText();
            System.out.printf("failover: program %s, lease ttl 5 s, drift 2 s, heartbeat 1 s%n", hash);

            double[] seconds = new double[runs];
            for (int r = 0; r < runs; r++) {
                int holder = holder(scheduler, hash, crns, Duration.ofSeconds(60));
                long epoch = epochVia(crns.get((holder + 1) % 3), hash, 0, Duration.ofSeconds(60));
                long killed = System.nanoTime();
                crnProcs[holder].toHandle().destroyForcibly();
                crnProcs[holder].waitFor(10, TimeUnit.SECONDS);
                epochVia(crns.get((holder + 1) % 3), hash, epoch + 1, Duration.ofSeconds(60));
                seconds[r] = (System.nanoTime() - killed) / 1e9;
                System.out.printf("  run %2d: killed CRN %d (epoch %d) -> 200 from a new epoch after %.2f s%n", r + 1, holder + 1, epoch, seconds[r]);
                crnProcs[holder] = startCrn(root, dir, env, holder, base, ccn, scheduler, schedulerAddress);
                all.add(crnProcs[holder]);
                awaitUp(crns.get(holder) + "/about", Duration.ofSeconds(90));
            }
            Arrays.sort(seconds);
            System.out.printf("failover over %d runs: p50 %.2f s, max %.2f s (goal: p99 within 10 s)%n", runs,
                    seconds[runs / 2], seconds[runs - 1]);
        } finally {
            for (Process p : all) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
        }
    }

    private static Process startCrn(Path root, Path dir, Map<String, String> env, int i, int base, String ccn, String scheduler,
                                    String schedulerAddress)
            throws IOException {
        return start(root, dir, env, "crn-" + i, "aleph-node", "crn", "--data", dir.resolve("crn-" + i).toString(), "--port",
                String.valueOf(base + 2 + i), "--ccn-url", ccn, "--scheduler-url", scheduler, "--scheduler-addresses",
                schedulerAddress, "--key-file",
                dir.resolve("crn-" + i + ".key").toString());
    }

    private static Process start(Path root, Path dir, Map<String, String> env, String name, String launcher, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("bin").resolve(launcher).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()));
        pb.environment().putAll(env);
        return pb.start();
    }

    private static String run(Path root, Path dir, Map<String, String> env, String launcher, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("bin").resolve(launcher).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(launcher + " " + String.join(" ", args) + " failed:\n" + out);
        int json = out.indexOf('{');
        return json < 0 ? out : out.substring(json);
    }

    private static JsonNode get(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Json.MAPPER.readTree(r.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static void awaitUp(String url, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (get(url) == null) {
            if (System.nanoTime() > until) throw new IllegalStateException(url + " did not come up");
            Thread.sleep(100);
        }
    }

    private static int holder(String scheduler, String hash, List<String> crns, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            JsonNode a = get(scheduler + "/api/v0/allocation/" + hash);
            if (a != null) {
                String url = a.path("node").path("url").asText();
                for (int i = 0; i < crns.size(); i++) if (url.startsWith(crns.get(i))) return i;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("program not allocated");
    }

    /** Polls {@code /vm/hash/} through {@code crn} every 20 ms until it answers from an epoch ≥ {@code min}. */
    private static long epochVia(String crn, String hash, long min, Duration timeout) throws InterruptedException {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            JsonNode r = get(crn + "/vm/" + hash + "/");
            if (r != null && r.path("epoch").asText("").matches("\\d+") && Long.parseLong(r.path("epoch").asText()) >= min) {
                return Long.parseLong(r.path("epoch").asText());
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no answer from epoch " + min + " through " + crn);
    }
}
