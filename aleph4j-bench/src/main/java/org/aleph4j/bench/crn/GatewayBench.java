package org.aleph4j.bench.crn;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.testkit.TestNetwork;

/**
 * The cost of the CRN gateway against nginx in front of the same uvicorn process, measured with
 * {@code wrk --latency}: direct, nginx (worker_processes 1 and 2), the gateway ({@code /vm/HASH/},
 * on demand, kept warm) and a persistent program reached through a second CRN that forwards to the
 * holder (two hops). The gateway's JVM first gets 15 s of load per gateway path (its JIT warm-up);
 * then each round runs every path back to back at 1 connection ({@code -t1 -c1}), then at 8
 * ({@code -t2 -c8}), each after its own warm-up. Installs nothing: without nginx or wrk it says so and measures what it
 * can. Besides latency and throughput it prints the CPU time the proxy spent per request (nginx's
 * processes, or this JVM for the gateway: both CRNs for two hops), a figure the machine's other load
 * disturbs far less. Usage: {@code GatewayBench [seconds=10] [rounds=2] [warmupSeconds=3]}.
 */
public final class GatewayBench {
    static final int JIT_WARMUP_SECONDS = 15;

    record Figures(double p50us, double p99us, double rps, long errors, double cpuPerRequestUs) {}

    /** A path to the program, and how to read the CPU time its proxy spent (nanoseconds; null for direct). */
    record Target(String name, URI uri, java.util.function.LongSupplier proxyCpu, boolean inJvm) {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int warmup = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String wrk = tool("wrk", "/usr/bin/wrk");
        String nginx = tool("nginx", "/usr/sbin/nginx");
        if (wrk == null) {
            System.out.println("wrk is not installed: nothing can be measured (apt-get install wrk)");
            return;
        }
        if (nginx == null) System.out.println("nginx is not installed: the nginx rows are left out (apt-get install nginx)");
        Path dir = Files.createTempDirectory("gateway-bench");
        List<Process> children = new ArrayList<>();
        try (TestNetwork net = TestNetwork.builder(dir).fundedUser(100_000_000).start();
             CrnNode holder = new CrnNode(config(dir, "holder", net.ccnUrl()), LeaseDirectory.NONE).start()) {
            String code = net.store(net.user(), TestNetwork.zip(Map.of("main.py", CrnLatency.MAIN)), null);
            String onDemand = net.program(net.zipProgram(code, "main:app").timeoutSeconds(30.0).memory(256));
            String persistent = net.program(net.zipProgram(code, "main:app").timeoutSeconds(30.0).memory(256).persistent(true));
            URI gateway = URI.create(holder.url() + "/vm/" + onDemand + "/");
            int first = status(gateway);
            if (first != 200) throw new IllegalStateException("the program answered " + first + " through the gateway");
            int port = programPort(onDemand);

            holder.persistentHost().ensureRunning(persistent, 1, Duration.ofHours(2));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (holder.persistentHost().persistentExecutions().stream()
                    .noneMatch(s -> s.itemHash().equals(persistent) && s.state().equals("RUNNING"))) {
                if (System.nanoTime() > until) throw new IllegalStateException("the persistent program did not start");
                Thread.sleep(50); // polling the holder's state, bounded above
            }
            LeaseDirectory toHolder = h -> h.equals(persistent) ? Optional.of(holder.url()) : Optional.empty();
            try (CrnNode front = new CrnNode(config(dir, "front", net.ccnUrl()), toHolder).start()) {
                List<Target> paths = new ArrayList<>();
                paths.add(new Target("direct", URI.create("http://127.0.0.1:" + port + "/"), null, false));
                if (nginx != null) {
                    for (int workers : new int[] {1, 2}) {
                        int listen = freePort();
                        Process master = startNginx(nginx, dir.resolve("nginx-" + workers), workers, listen, port);
                        children.add(master);
                        paths.add(new Target("nginx (" + workers + " worker" + (workers > 1 ? "s" : "") + ")",
                                URI.create("http://127.0.0.1:" + listen + "/"), () -> treeCpu(master.toHandle()), false));
                    }
                }
                // the CCN and both CRNs share this JVM: only the gateway under test is busy during its run
                paths.add(new Target("gateway /vm/HASH/", gateway, GatewayBench::jvmCpu, true));
                paths.add(new Target("two hops (persistent)", URI.create(front.url() + "/vm/" + persistent + "/"),
                        GatewayBench::jvmCpu, true));
                for (Target p : paths) {
                    int status = status(p.uri());
                    if (status != 200) throw new IllegalStateException(p.name() + " answered " + status);
                }
                System.out.printf("wrk %ds per case after %ds of warm-up, %d rounds; nginx %s; cores: %d; load: %s%n", seconds,
                        warmup, rounds, nginx == null ? "absent" : version(nginx), Runtime.getRuntime().availableProcessors(),
                        Files.readString(Path.of("/proc/loadavg")).strip());
                // the gateway's JIT warm-up, once: nginx needs none, and the figures are of a warm JVM
                for (Target p : paths) {
                    if (p.inJvm()) wrk(wrk, p.uri(), 8, JIT_WARMUP_SECONDS);
                }
                // what the idle JVM (CCN, CRNs' timers) spends anyway, taken off the gateway's CPU figures
                long idle0 = jvmCpu();
                Thread.sleep(3000); // measuring idle CPU over a fixed time
                double idleJvmCpuPerSecond = (jvmCpu() - idle0) / 3.0;
                System.out.printf("idle JVM CPU: %.1f ms/s (subtracted from the gateway's CPU per request)%n", idleJvmCpuPerSecond / 1e6);
                for (int round = 1; round <= rounds; round++) {
                    for (int conns : new int[] {1, 8}) {
                        Map<String, Figures> figures = new LinkedHashMap<>();
                        for (Target p : paths) {
                            wrk(wrk, p.uri(), conns, warmup);
                            long cpu0 = p.proxyCpu() == null ? 0 : p.proxyCpu().getAsLong();
                            Figures f = wrk(wrk, p.uri(), conns, seconds);
                            if (p.proxyCpu() != null) {
                                double spent = p.proxyCpu().getAsLong() - cpu0 - (p.inJvm() ? idleJvmCpuPerSecond * seconds : 0);
                                double cpuUs = spent / 1e3 / (f.rps() * seconds);
                                f = new Figures(f.p50us(), f.p99us(), f.rps(), f.errors(), cpuUs);
                            }
                            figures.put(p.name(), f);
                        }
                        print(round, conns, figures);
                    }
                }
            } finally {
                holder.persistentHost().stop(persistent, "benchmark done");
            }
        } finally {
            for (Process p : children) {
                p.destroy();
                if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        }
    }

    static CrnConfig config(Path dir, String name, URI ccn) {
        // the process executor and a long idle timeout: the program stays warm through the run
        return CrnConfig.defaults(dir.resolve(name), ccn).withExecutor(CrnConfig.ExecutorKind.PROCESS)
                .withIdleTimeout(Duration.ofHours(2));
    }

    static void print(int round, int conns, Map<String, Figures> figures) {
        Figures direct = figures.get("direct");
        System.out.printf("%nround %d, %d connection%s%n", round, conns, conns > 1 ? "s" : "");
        System.out.printf("%-24s %10s %10s %10s %12s %12s %8s %14s%n", "path", "p50", "p99", "req/s", "added p50", "added p99",
                "% direct", "proxy CPU/req");
        figures.forEach((name, f) -> System.out.printf("%-24s %10s %10s %10.0f %12s %12s %7.0f%% %14s%s%n", name, us(f.p50us()),
                us(f.p99us()), f.rps(), name.equals("direct") ? "" : us(f.p50us() - direct.p50us()),
                name.equals("direct") ? "" : us(f.p99us() - direct.p99us()), 100 * f.rps() / direct.rps(),
                Double.isNaN(f.cpuPerRequestUs()) ? "" : us(f.cpuPerRequestUs()),
                f.errors() > 0 ? "  (" + f.errors() + " non-2xx or socket errors)" : ""));
    }

    static String us(double micros) {
        return Math.abs(micros) >= 1000 ? String.format("%.2f ms", micros / 1000) : String.format("%.0f µs", micros);
    }

    static final Pattern PERCENTILE = Pattern.compile("^\\s*(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
    static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    static final Pattern SOCKET_ERRORS = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    /** Runs wrk (one thread per 4 connections, at most 2) and reads p50, p99 and req/s from its report. */
    static Figures wrk(String wrk, URI uri, int conns, int seconds) throws Exception {
        int threads = conns == 1 ? 1 : 2;
        Process p = new ProcessBuilder(wrk, "--latency", "-t" + threads, "-c" + conns, "-d" + seconds + "s", "--timeout", "5s",
                uri.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("wrk did not finish");
        }
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        Matcher m = PERCENTILE.matcher(out);
        while (m.find()) {
            double v = Double.parseDouble(m.group(2)) * switch (m.group(3)) {
                case "us" -> 1;
                case "ms" -> 1000;
                default -> 1_000_000;
            };
            if (m.group(1).equals("50")) p50 = v;
            else p99 = v;
        }
        Matcher r = RPS.matcher(out);
        if (!r.find() || Double.isNaN(p50) || Double.isNaN(p99)) throw new IllegalStateException("cannot read wrk's report:\n" + out);
        long errors = 0;
        Matcher n = NON_2XX.matcher(out);
        if (n.find()) errors += Long.parseLong(n.group(1));
        Matcher s = SOCKET_ERRORS.matcher(out);
        if (s.find()) {
            for (int g = 1; g <= 4; g++) errors += Long.parseLong(s.group(g));
        }
        return new Figures(p50, p99, Double.parseDouble(r.group(1)), errors, Double.NaN);
    }

    /** nginx as a child, in its own prefix directory: upstream keepalive, HTTP/1.1, no access log. */
    static Process startNginx(String nginx, Path prefix, int workers, int listen, int upstreamPort) throws Exception {
        Files.createDirectories(prefix.resolve("logs"));
        String conf = """
                worker_processes %d;
                pid %s/nginx.pid;
                error_log %s/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path %s/body;
                    proxy_temp_path %s/proxy;
                    fastcgi_temp_path %s/fastcgi;
                    uwsgi_temp_path %s/uwsgi;
                    scgi_temp_path %s/scgi;
                    upstream program { server 127.0.0.1:%d; keepalive 32; }
                    server {
                        listen 127.0.0.1:%d;
                        location / {
                            proxy_pass http://program;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_set_header Host $host;
                        }
                    }
                }
                """.formatted(workers, prefix, prefix, prefix, prefix, prefix, prefix, prefix, upstreamPort, listen);
        Files.writeString(prefix.resolve("nginx.conf"), conf);
        Process p = new ProcessBuilder(nginx, "-p", prefix.toString(), "-c", "nginx.conf", "-g", "daemon off;")
                .redirectErrorStream(true).redirectOutput(prefix.resolve("logs/stdout.log").toFile()).start();
        CrnLatency.awaitPort(listen);
        return p;
    }

    /** The status of a GET over HTTP/1.1 (the JDK's default h2c upgrade is refused by uvicorn). */
    static int status(URI uri) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    static int programPort(String hash) throws IOException {
        for (long pid : TestNetwork.programProcesses(hash)) {
            String env = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")), StandardCharsets.ISO_8859_1);
            for (String kv : env.split("\0")) {
                if (kv.startsWith("PORT=")) return Integer.parseInt(kv.substring(5));
            }
        }
        throw new IllegalStateException("no process of " + hash + " has a PORT");
    }

    /** CPU time (user + system) of this JVM, in nanoseconds. */
    static long jvmCpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** CPU time of a process and its descendants (nginx's master and workers), in nanoseconds, from /proc (100 Hz ticks). */
    static long treeCpu(ProcessHandle root) {
        long ticks = 0;
        for (ProcessHandle h : java.util.stream.Stream.concat(java.util.stream.Stream.of(root), root.descendants()).toList()) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException | RuntimeException gone) {
                // exited meanwhile
            }
        }
        return ticks * 10_000_000L;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static String tool(String name, String usual) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) return Path.of(d, name).toString();
        }
        return Files.isExecutable(Path.of(usual)) ? usual : null;
    }

    static String version(String nginx) throws Exception {
        Process p = new ProcessBuilder(nginx, "-v").redirectErrorStream(true).start();
        String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor(5, TimeUnit.SECONDS);
        return v.replace("nginx version: ", "");
    }

    private GatewayBench() {}
}
