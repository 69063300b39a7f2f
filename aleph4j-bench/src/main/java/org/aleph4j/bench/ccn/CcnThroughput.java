package org.aleph4j.bench.ccn;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.content.PostContent;

/**
 * Signed messages accepted per second by a CCN over HTTP, with {@code sync=false} and {@code sync=true}, on
 * SQLite and (when reachable) PostgreSQL. Messages are signed before the clock starts, so the figures are the
 * node's. Also prints how long the node takes to process the accepted backlog, and the per-message cost of
 * the CPU steps of intake, to show where time goes.
 *
 * <p>Usage: {@code CcnThroughput [seconds=10] [clients=32] [postgresUrl=jdbc:postgresql://127.0.0.1:5432/test]}
 */
public final class CcnThroughput {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        String pg = args.length > 2 ? args[2] : "jdbc:postgresql://127.0.0.1:5432/test";
        System.out.printf("CCN throughput: %d s per run, %d concurrent HTTP clients, %d CPUs%n", seconds, clients,
                Runtime.getRuntime().availableProcessors());
        cpuBreakdown();
        // the first run pays for class loading and JIT compilation; it is shown but not a figure
        run("warm-up", null, false, Math.min(seconds, 5), clients);
        for (boolean sync : new boolean[] {false, true}) run("SQLite", null, sync, seconds, clients);
        String schema = pgSchema(pg);
        if (schema == null) {
            System.out.println("PostgreSQL not reachable at " + pg + ": skipped");
            return;
        }
        try {
            for (boolean sync : new boolean[] {false, true}) {
                run("PostgreSQL", pg + "?user=postgres&currentSchema=" + schema + (sync ? "s" : ""), sync, seconds, clients);
            }
        } finally {
            dropSchemas(pg, schema);
        }
    }

    static List<AlephMessage> sign(int n) throws Exception {
        SecureRandom rnd = new SecureRandom();
        List<EthAccount> accounts = new ArrayList<>();
        for (int i = 0; i < 64; i++) accounts.add(EthAccount.generate(rnd));
        List<AlephMessage> out = new ArrayList<>(n);
        double t = System.currentTimeMillis() / 1000.0;
        for (int i = 0; i < n; i++) {
            EthAccount a = accounts.get(i % accounts.size());
            PostContent c = new PostContent(a.address(), t + i * 1e-6, Json.MAPPER.readTree("{\"i\":" + i + "}"), "bench", null);
            out.add(MessageBuilder.build(a, MessageType.POST, c, "BENCH", t));
        }
        return out;
    }

    static void cpuBreakdown() throws Exception {
        List<AlephMessage> ms = sign(2000);
        List<String> bodies = new ArrayList<>();
        for (AlephMessage m : ms) bodies.add(Json.write(m.forSubmission()));
        MessageValidator v = new MessageValidator(SignatureVerifier.best());
        for (int round = 0; round < 2; round++) {
            long parse = 0, inline = 0, sig = 0;
            for (String b : bodies) {
                long t0 = System.nanoTime();
                AlephMessage m = MessageValidator.parseEnvelope(Json.parseTree(b));
                long t1 = System.nanoTime();
                MessageValidator.checkInline(m);
                long t2 = System.nanoTime();
                v.checkSignature(m);
                long t3 = System.nanoTime();
                parse += t1 - t0;
                inline += t2 - t1;
                sig += t3 - t2;
            }
            if (round == 1) {
                System.out.printf("intake CPU per message: parse %.1f us, hash+content schema %.1f us, signature (%s) %.1f us%n",
                        parse / 1e3 / bodies.size(), inline / 1e3 / bodies.size(), SignatureVerifier.best().name(),
                        sig / 1e3 / bodies.size());
            }
        }
    }

    static void run(String backend, String jdbcUrl, boolean sync, int seconds, int clients) throws Exception {
        Path dir = Files.createTempDirectory("ccn-bench");
        int budget = Math.max(20_000, seconds * 4_000);
        List<AlephMessage> messages = sign(budget);
        List<String> bodies = new ArrayList<>(budget);
        for (AlephMessage m : messages) {
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("sync", sync);
            body.set("message", m.forSubmission().toJson());
            bodies.add(Json.write(body));
        }
        CcnConfig config = CcnConfig.defaults(dir).withJdbcUrl(jdbcUrl).withOracleAddresses(Set.of());
        try (CcnNode node = new CcnNode(config).start()) {
            URI post = node.url().resolve("/api/v0/messages");
            AtomicInteger next = new AtomicInteger();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            AtomicLong latencyNanos = new AtomicLong();
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(seconds).toNanos();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> fs = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    fs.add(ex.submit(() -> {
                        int i;
                        while (System.nanoTime() < end && (i = next.getAndIncrement()) < bodies.size()) {
                            long t0 = System.nanoTime();
                            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(post).timeout(Duration.ofSeconds(60))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i))).build(), HttpResponse.BodyHandlers.discarding());
                            latencyNanos.addAndGet(System.nanoTime() - t0);
                            if (r.statusCode() == 200 || r.statusCode() == 202) ok.incrementAndGet();
                            else failed.incrementAndGet();
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
            }
            double took = (System.nanoTime() - start) / 1e9;
            int accepted = ok.get();
            // how long until the node has processed everything it accepted
            long drainStart = System.nanoTime();
            URI count = node.url().resolve("/api/v0/messages.json?pagination=1&channels=BENCH");
            long deadline = drainStart + Duration.ofSeconds(120).toNanos();
            int processed = 0;
            while (System.nanoTime() < deadline) {
                String body = HTTP.send(HttpRequest.newBuilder(count).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
                processed = Json.MAPPER.readTree(body).path("pagination_total").asInt();
                if (processed >= accepted) break;
                Thread.sleep(200); // a benchmark poll, never part of a test
            }
            double drained = (System.nanoTime() - drainStart) / 1e9;
            System.out.printf("%-10s sync=%-5s accepted %6d in %5.1f s = %7.0f msg/s (mean latency %5.1f ms, %d errors); "
                            + "processed %d, backlog drained %.1f s after the clients stopped (%.0f msg/s end to end)%n",
                    backend, sync, accepted, took, accepted / took, latencyNanos.get() / 1e6 / Math.max(1, accepted + failed.get()),
                    failed.get(), processed, drained, processed / (took + drained));
        }
    }

    static String pgSchema(String url) {
        String schema = "ccn_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
            s.execute("CREATE SCHEMA " + schema + "s");
            return schema;
        } catch (Exception e) {
            return null;
        }
    }

    static void dropSchemas(String url, String schema) {
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            s.execute("DROP SCHEMA IF EXISTS " + schema + "s CASCADE");
        } catch (Exception e) {
            System.out.println("could not drop " + schema + ": " + e);
        }
    }

    private CcnThroughput() {}
}
