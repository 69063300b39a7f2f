package org.aleph4j.bench.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.HeartbeatSession;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SessionGrant;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.KeySeal;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;
import org.aleph4j.scheduler.SchedulerConfig;
import org.aleph4j.scheduler.SchedulerNode;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpMethod;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Heartbeat load on one scheduler: a real scheduler process (SQLite or PostgreSQL), {@code NODES}
 * simulated CRNs (distinct keys) heartbeating every second with jitter over a few keep-alive HTTP/1.1
 * connections (Jetty's client), with real signed requests, real answers verified (the scheduler's
 * signature, or the session HMAC) and real lease handling: each node tracks its grants and the highest
 * epoch it saw per program as {@code LeaseKeeper} does, reports them as RUNNING executions, follows
 * incarnation refusals and falls back to a signed heartbeat when its session is refused.
 * {@code PROGRAMS} persistent programs are added in the scheduler process through the engine API its
 * CCN watcher uses ({@code AllocationEngine.addProgram}) (a CCN with 50,000 signed PROGRAMs would take longer to set up than
 * the run), once every node registered, and placed by the scheduler.
 *
 * <p>Prints heartbeats/s sustained, p50/p99/max latency, the scheduler's CPU (from /proc/PID/stat) per
 * 1,000 heartbeats/s and the generator's own CPU; then stops 1,000 nodes (a tenth of smaller fleets)
 * at once and measures the time from their lease expiry on the scheduler's side (last answered send +
 * lease_ttl + drift) until every program they held is granted to a live node under a higher epoch, and
 * counts false failovers (a live node losing a program it held; must be 0).
 *
 * <p>Arguments: {@code [NODES (10000)] [PROGRAMS (50000)] [sqlite|postgres] [SECONDS sustained (30)]
 * [session|signed (session)] [CONNECTIONS (32)] [JOIN_RATE nodes/s (200)]}. {@code signed}: every heartbeat signed, no sessions
 * (as before sessions existed). Not a test.
 */
public final class HeartbeatLoad {
    private static final String PG = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    private static final long TTL_MS = 5_000;
    private static final long DRIFT_MS = 2_000;
    private static final SignatureVerifier VERIFIER = SignatureVerifier.best();
    private static final HexFormat HEX = HexFormat.of();

    private HeartbeatLoad() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("scheduler")) {
            runScheduler(args);
            return;
        }
        int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int programs = args.length > 1 ? Integer.parseInt(args[1]) : 50_000;
        String db = args.length > 2 ? args[2] : "sqlite";
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        boolean sessions = !(args.length > 4 && args[4].equals("signed"));
        int connections = args.length > 5 ? Integer.parseInt(args[5]) : 32;
        int joinRate = args.length > 6 ? Integer.parseInt(args[6]) : 200;
        if (!db.equals("sqlite") && !db.equals("postgres")) throw new IllegalArgumentException("sqlite or postgres, not " + db);
        new HeartbeatLoad.Run(nodes, programs, db, seconds, sessions, connections, joinRate).run();
    }

    /** The scheduler process: {@code scheduler DATA PORT JDBC|- KEYFILE}; stops when its stdin closes. */
    private static void runScheduler(String[] args) throws Exception {
        Path data = Path.of(args[1]);
        SchedulerConfig config = SchedulerConfig.defaults(data, null).withPort(Integer.parseInt(args[2]))
                .withAllowedNodes(Set.of("*")).withKeyFile(Path.of(args[4]));
        if (!args[3].equals("-")) config = config.withJdbcUrl(args[3]);
        SchedulerNode node = new SchedulerNode(config);
        node.start();
        System.out.println("ready " + node.url() + " " + node.address());
        System.out.flush();
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            // "seed N": N persistent programs through the engine, as the CCN watcher adds them (in batches of 200)
            if (!line.startsWith("seed ")) continue;
            int count = Integer.parseInt(line.substring(5).strip());
            long now = System.currentTimeMillis();
            for (int from = 0; from < count; from += 200) {
                int first = from;
                node.engine().store().batch(() -> {
                    for (int i = first; i < Math.min(count, first + 200); i++) {
                        node.engine().addProgram(new ProgramRow(org.aleph4j.message.ItemHashes.sha256Hex("program-" + i),
                                "0x" + "ab".repeat(20), 1, 128, null, null, "active", null, null, null, 0, now + i, null, null, null));
                    }
                });
            }
            System.out.println("seeded " + count);
            System.out.flush();
        }
        node.close();
        System.exit(0);
    }

    /** One simulated CRN. Its state changes only on the answer callbacks, one heartbeat at a time. */
    private static final class SimNode {
        final int index;
        final EthAccount key;
        final String address;
        final String url;
        Map<String, Long> grants = Map.of();
        final Map<String, Long> highest = new HashMap<>();
        long incarnation;
        String sessionId;
        byte[] secret;
        volatile boolean stopped;
        volatile long lastAnsweredSendNanos;
        long sendNanos;
        long plannedNanos;

        SimNode(int index, EthAccount key) {
            this.index = index;
            this.key = key;
            this.address = key.address();
            this.url = "http://10.0." + (index / 250) + "." + (index % 250 + 1) + ":4020";
        }
    }

    private static final class Run {
        final int nodeCount;
        final int programCount;
        final String db;
        final int seconds;
        final boolean sessions;
        final int connections;
        final SimNode[] nodes;
        HttpClient http;
        ScheduledExecutorService timer;
        URI heartbeatUri;
        java.io.OutputStream schedulerIn;
        java.io.BufferedReader schedulerOut;
        String schedulerAddress;
        final AtomicLong answered = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        /** Why heartbeats failed: HTTP status and error code, or the client's exception. */
        final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        final AtomicLong refusedSession = new AtomicLong();
        final AtomicLong incarnationRetries = new AtomicLong();
        final AtomicLong rejectedAnswers = new AtomicLong();
        final AtomicLong falseFailovers = new AtomicLong();
        final AtomicLong signedSent = new AtomicLong();
        final AtomicLong macSent = new AtomicLong();
        volatile long[] latencies = new long[1 << 20];
        final AtomicLong latencyCount = new AtomicLong();
        volatile boolean recording;
        /** Program → the epoch it had on a stopped node, until a live node is granted a higher one. */
        final Map<String, Long> awaitingMove = new ConcurrentHashMap<>();
        volatile long lastMoveNanos;
        final AtomicLong granted = new AtomicLong();

        final int joinRate;

        Run(int nodeCount, int programCount, String db, int seconds, boolean sessions, int connections, int joinRate) {
            this.joinRate = joinRate;
            this.nodeCount = nodeCount;
            this.programCount = programCount;
            this.db = db;
            this.seconds = seconds;
            this.sessions = sessions;
            this.connections = connections;
            this.nodes = new SimNode[nodeCount];
        }

        void run() throws Exception {
            Path dir = Files.createTempDirectory("aleph4j-heartbeats");
            String schema = "hbload_" + Long.toHexString(new SecureRandom().nextLong() & Long.MAX_VALUE);
            String jdbc = db.equals("postgres") ? PG + "&currentSchema=" + schema : null;
            int port = 22_000 + new SecureRandom().nextInt(20_000);
            System.out.printf(Locale.ROOT, "heartbeat load: %,d nodes, %,d programs, %s, %s heartbeats, %d connections%n",
                    nodeCount, programCount, db, sessions ? "session (HMAC)" : "signed", connections);
            long t = System.nanoTime();
            SecureRandom random = new SecureRandom();
            for (int i = 0; i < nodeCount; i++) nodes[i] = new SimNode(i, EthAccount.generate(random));
            System.out.printf(Locale.ROOT, "  %,d node keys in %d ms%n", nodeCount, ms(System.nanoTime() - t));
            EthAccount schedulerKey = EthAccount.generate(random);
            org.aleph4j.client.account.KeyFiles.write(dir.resolve("scheduler.key"), schedulerKey, false);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process scheduler = new ProcessBuilder(java, "-Xmx3g", "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), HeartbeatLoad.class.getName(), "scheduler",
                    dir.resolve("scheduler").toString(), String.valueOf(port), jdbc == null ? "-" : jdbc,
                    dir.resolve("scheduler.key").toString())
                    .redirectError(dir.resolve("scheduler.log").toFile()).start();
            try {
                var out = new java.io.BufferedReader(new java.io.InputStreamReader(scheduler.getInputStream(), StandardCharsets.UTF_8));
                String ready = out.readLine();
                if (ready == null || !ready.startsWith("ready ")) {
                    throw new IllegalStateException("scheduler did not start; see " + dir.resolve("scheduler.log"));
                }
                String[] parts = ready.split(" ");
                heartbeatUri = URI.create(parts[1] + "/api/v1/heartbeat");
                schedulerAddress = parts[2].toLowerCase(Locale.ROOT);
                schedulerIn = scheduler.getOutputStream();
                schedulerOut = out;
                measure(scheduler, jdbc, dir);
            } finally {
                if (http != null) http.stop();
                if (timer != null) timer.shutdownNow();
                scheduler.getOutputStream().close();
                if (!scheduler.waitFor(20, TimeUnit.SECONDS)) scheduler.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                if (jdbc != null) {
                    try (var c = DriverManager.getConnection(PG); var s = c.createStatement()) {
                        s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
                    }
                }
                System.out.println("  scheduler log: " + dir.resolve("scheduler.log"));
            }
        }

        void measure(Process scheduler, String jdbc, Path dir) throws Exception {
            http = new HttpClient();
            http.setMaxConnectionsPerDestination(connections);
            http.setMaxRequestsQueuedPerDestination(nodeCount * 2);
            http.setIdleTimeout(60_000);
            http.setConnectTimeout(5_000);
            http.start();
            // a 401 session refusal carries no WWW-Authenticate challenge: hand it to the node as it is
            http.getProtocolHandlers().remove(org.eclipse.jetty.client.WWWAuthenticationProtocolHandler.NAME);
            timer = Executors.newScheduledThreadPool(2);
            // nodes join at JOIN_RATE a second: each opens its session with one signed heartbeat (a few ms of CPU each side)
            long start = System.nanoTime();
            long spread = Math.max(1, nodeCount) * (1_000_000_000L / joinRate);
            for (SimNode n : nodes) {
                n.plannedNanos = start + (long) (spread * (n.index / (double) nodeCount));
                schedule(n);
            }
            awaitCondition("every node answered", Duration.ofSeconds(nodeCount / joinRate + 120), () -> {
                for (SimNode n : nodes) if (n.lastAnsweredSendNanos == 0) return false;
                return true;
            });
            System.out.printf(Locale.ROOT, "  all %,d nodes joined in %.1f s (scheduler CPU so far %.1f s)%n", nodeCount,
                    (System.nanoTime() - start) / 1e9, cpuTicks(scheduler.pid()) / 100.0);
            // the programs, through the engine API the scheduler's CCN watcher uses, in the scheduler process
            long t = System.nanoTime();
            schedulerIn.write(("seed " + programCount + "\n").getBytes(StandardCharsets.UTF_8));
            schedulerIn.flush();
            String seeded = schedulerOut.readLine();
            if (seeded == null || !seeded.startsWith("seeded")) throw new IllegalStateException("seeding failed: " + seeded);
            System.out.printf(Locale.ROOT, "  %,d programs stored in %d ms%n", programCount, ms(System.nanoTime() - t));
            awaitCondition("every program granted", Duration.ofSeconds(180), () -> granted.get() >= programCount);
            System.out.printf(Locale.ROOT, "  all %,d programs granted %.1f s after they were stored%n", programCount,
                    (System.nanoTime() - t) / 1e9);
            Thread.sleep(3_000); // let the placement burst settle

            // sustained phase
            long pid = scheduler.pid();
            long cpu0 = cpuTicks(pid);
            long gen0 = generatorCpuNanos();
            long answered0 = answered.get();
            long failed0 = failed.get();
            latencyCount.set(0);
            recording = true;
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long elapsed = System.nanoTime() - t0;
            recording = false;
            long cpu1 = cpuTicks(pid);
            long gen1 = generatorCpuNanos();
            double rate = (answered.get() - answered0) / (elapsed / 1e9);
            double schedCores = (cpu1 - cpu0) / 100.0 / (elapsed / 1e9);
            double genCores = (gen1 - gen0) / 1e9 / (elapsed / 1e9);
            long[] lat = Arrays.copyOf(latencies, (int) Math.min(latencies.length, latencyCount.get()));
            Arrays.sort(lat);
            System.out.printf(Locale.ROOT, "  sustained %d s: %,.0f heartbeats/s answered (%,d failed), latency p50 %.2f ms, "
                            + "p99 %.2f ms, max %.2f ms%n", seconds, rate, failed.get() - failed0, pct(lat, 0.50), pct(lat, 0.99),
                    lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6);
            System.out.printf(Locale.ROOT, "  scheduler CPU %.2f cores = %.3f cores per 1,000 heartbeats/s; generator CPU %.2f cores%n",
                    schedCores, schedCores / (rate / 1000), genCores);
            if (!failures.isEmpty()) System.out.println("  failures so far: " + failures);
            System.out.printf(Locale.ROOT, "  heartbeats sent signed %,d, with a session MAC %,d; session refusals %,d, incarnation "
                            + "retries %,d, answers rejected %,d%n", signedSent.get(), macSent.get(), refusedSession.get(),
                    incarnationRetries.get(), rejectedAnswers.get());

            // failover: a tenth of the nodes (at most 1,000) stop at once
            int stopping = Math.min(1_000, Math.max(1, nodeCount / 10));
            long falseBefore = falseFailovers.get();
            for (int i = 0; i < stopping; i++) nodes[i].stopped = true;
            long stoppedAt = System.nanoTime();
            Thread.sleep(1_500); // answers in flight land
            long lastSend = 0;
            for (int i = 0; i < stopping; i++) {
                SimNode n = nodes[i];
                synchronized (n) {
                    n.grants.forEach((item, epoch) -> awaitingMove.merge(item, epoch, Math::max));
                    lastSend = Math.max(lastSend, n.lastAnsweredSendNanos);
                }
            }
            int held = awaitingMove.size();
            long expiry = lastSend + (TTL_MS + DRIFT_MS) * 1_000_000L;
            boolean moved = awaitCondition("every program of the stopped nodes granted elsewhere", Duration.ofSeconds(60),
                    awaitingMove::isEmpty);
            long done = lastMoveNanos;
            System.out.printf(Locale.ROOT, "  failover: %,d nodes stopped holding %,d programs; %s %.0f ms after their lease expiry "
                            + "on the scheduler (last answered send + %d ms), %.1f s after they stopped%n", stopping, held,
                    moved ? "all re-placed and granted to live nodes" : "NOT all re-placed (" + awaitingMove.size() + " left)",
                    (done - expiry) / 1e6, TTL_MS + DRIFT_MS, (done - stoppedAt) / 1e9);
            System.out.printf(Locale.ROOT, "  false failovers of live nodes: %d (during failover: %d)%n", falseFailovers.get(),
                    falseFailovers.get() - falseBefore);
        }

        /** Waits for {@code done}, printing the counters every 10 s. */
        boolean awaitCondition(String what, Duration bound, java.util.function.BooleanSupplier done) throws InterruptedException {
            long started = System.nanoTime();
            long until = started + bound.toNanos();
            long nextReport = started + 10_000_000_000L;
            while (!done.getAsBoolean()) {
                long now = System.nanoTime();
                if (now > until) {
                    System.out.println("  gave up waiting: " + what + " (" + bound.toSeconds() + " s)");
                    return false;
                }
                if (now > nextReport) {
                    nextReport += 10_000_000_000L;
                    System.out.printf(Locale.ROOT, "    (waiting %d s for %s: %,d answered, %,d failed, %,d signed, %,d MAC, %,d "
                                    + "incarnation retries, %,d session refusals, %,d rejected, %,d programs granted)%n",
                            (now - started) / 1_000_000_000L, what, answered.get(), failed.get(), signedSent.get(), macSent.get(),
                            incarnationRetries.get(), refusedSession.get(), rejectedAnswers.get(), granted.get());
                    if (!failures.isEmpty()) System.out.println("      failures: " + failures);
                }
                Thread.sleep(20);
            }
            return true;
        }

        void schedule(SimNode n) {
            long delay = Math.max(0, n.plannedNanos - System.nanoTime());
            timer.schedule(() -> send(n, false), delay, TimeUnit.NANOSECONDS);
        }

        /** Sends the node's next heartbeat: in its session if it has one, else signed (asking for one). */
        void send(SimNode n, boolean again) {
            if (n.stopped) return;
            byte[] body;
            String sessionId;
            byte[] secret;
            long incarnation;
            List<ExecutionReport> executions = new ArrayList<>();
            synchronized (n) {
                n.grants.forEach((item, epoch) -> executions.add(new ExecutionReport(item, epoch, "RUNNING", 0, null)));
                sessionId = n.sessionId;
                secret = n.secret;
                incarnation = n.incarnation;
            }
            boolean mac = sessions && sessionId != null;
            Heartbeat hb = new Heartbeat(n.address, n.url, new Capacity(8, 16_384, 100_000), List.of(), executions, "0.1.0",
                    nonce(), System.currentTimeMillis() / 1000.0, new ExecutorInfo("sandbox", true, true), incarnation,
                    sessions && !mac ? Boolean.TRUE : null);
            try {
                body = Json.MAPPER.writeValueAsBytes(hb);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            var request = http.newRequest(heartbeatUri).method(HttpMethod.POST).timeout(10, TimeUnit.SECONDS)
                    .body(new BytesRequestContent("application/json", body));
            if (mac) {
                String m = HeartbeatSession.requestMac(secret, body);
                request.headers(h -> h.put(HeartbeatSession.SESSION_HEADER, sessionId).put(HeartbeatSession.MAC_HEADER, m));
                macSent.incrementAndGet();
            } else {
                String sig = n.key.signEip191(body);
                request.headers(h -> h.put(SchedulerClient.SIGNATURE_HEADER, sig));
                signedSent.incrementAndGet();
            }
            long sent = System.nanoTime();
            n.sendNanos = sent;
            request.send(new BufferingResponseListener(1 << 20) {
                @Override
                public void onComplete(Result result) {
                    long took = System.nanoTime() - sent;
                    boolean retry = false;
                    try {
                        if (result.isFailed()) {
                            fail(result.getFailure().getClass().getSimpleName());
                        } else {
                            retry = answer(n, hb, secret, mac, result.getResponse().getStatus(), getContent(),
                                    result.getResponse().getHeaders().get(SchedulerClient.SIGNATURE_HEADER),
                                    result.getResponse().getHeaders().get(HeartbeatSession.MAC_HEADER), sent);
                            if (recording) {
                                long i = latencyCount.getAndIncrement();
                                if (i < latencies.length) latencies[(int) i] = took;
                            }
                        }
                    } catch (RuntimeException e) {
                        fail("generator " + e);
                    }
                    if (retry && !again) {
                        timer.execute(() -> send(n, true));
                        return;
                    }
                    // as LeaseKeeper: every second from the previous send (with jitter), never before the answer
                    long jitter = ThreadLocalRandom.current().nextLong(-50_000_000L, 50_000_001L);
                    n.plannedNanos = Math.max(System.nanoTime(), sent + 1_000_000_000L + jitter);
                    schedule(n);
                }
            });
        }

        /** Handles an answer as LeaseKeeper and LeaseDecisions do; true when the node should heartbeat again at once. */
        boolean answer(SimNode n, Heartbeat sent, byte[] secret, boolean mac, int status, byte[] body, String signature,
                       String macHeader, long sendNanos) {
            if (status == 401 && mac) {
                JsonNode error = tree(body);
                if (error != null && error.path("error_code").asInt() == HeartbeatSession.SESSION_ERROR) {
                    refusedSession.incrementAndGet();
                    synchronized (n) {
                        n.sessionId = null;
                        n.secret = null;
                    }
                    return true;
                }
            }
            if (status == 409 && !mac) {
                JsonNode error = tree(body);
                if (error != null && error.path("error_code").asInt() == 5 && signedBy(body, signature)) {
                    long inc = error.path("details").path("incarnation").asLong();
                    if (!error.path("details").path("nonce").asText().equals(sent.nonce())) return reject();
                    synchronized (n) {
                        if (inc > n.incarnation) n.incarnation = inc;
                    }
                    incarnationRetries.incrementAndGet();
                    return true;
                }
            }
            if (status != 200) {
                JsonNode error = tree(body);
                fail(status + (error == null ? "" : " error_code " + error.path("error_code").asInt()));
                return false;
            }
            boolean authentic = mac ? HeartbeatSession.answerMacValid(secret, body, macHeader) : signedBy(body, signature);
            if (!authentic) return reject();
            HeartbeatReply reply;
            try {
                reply = Json.MAPPER.readValue(body, HeartbeatReply.class);
            } catch (Exception e) {
                return reject();
            }
            synchronized (n) {
                if (!sent.nonce().equals(reply.nonce()) || !schedulerAddress.equalsIgnoreCase(reply.schedulerAddress())
                        || reply.incarnation() < n.incarnation) {
                    return reject();
                }
                for (LeaseGrant g : reply.allocations()) if (g.leaseMs() > 10_000) return reject();
                n.incarnation = reply.incarnation();
                SessionGrant s = reply.session();
                if (s != null && sent.asksSession() && s.incarnation() == reply.incarnation()) {
                    try {
                        n.secret = KeySeal.open(s.key(), n.key, HeartbeatSession.sealContext(s.id(), n.address, s.incarnation()));
                        n.sessionId = s.id();
                    } catch (IllegalArgumentException e) {
                        rejectedAnswers.incrementAndGet();
                    }
                }
                Map<String, Long> next = new HashMap<>();
                for (LeaseGrant g : reply.allocations()) {
                    long seen = n.highest.getOrDefault(g.itemHash(), 0L);
                    if (g.epoch() < seen) continue; // an older epoch than one seen: ignored
                    n.highest.put(g.itemHash(), g.epoch());
                    next.put(g.itemHash(), g.epoch());
                    if (!n.grants.containsKey(g.itemHash())) {
                        granted.incrementAndGet();
                        Long was = awaitingMove.get(g.itemHash());
                        if (was != null && g.epoch() > was && !n.stopped) {
                            awaitingMove.remove(g.itemHash());
                            lastMoveNanos = System.nanoTime();
                        }
                    }
                }
                for (String item : n.grants.keySet()) {
                    if (!next.containsKey(item)) {
                        granted.decrementAndGet();
                        if (!n.stopped) falseFailovers.incrementAndGet(); // a live node lost a program it held
                    }
                }
                n.grants = next;
                n.lastAnsweredSendNanos = sendNanos;
            }
            answered.incrementAndGet();
            return false;
        }

        private void fail(String why) {
            failed.incrementAndGet();
            failures.computeIfAbsent(why.length() > 120 ? why.substring(0, 120) : why, k -> new AtomicLong()).incrementAndGet();
        }

        private boolean reject() {
            rejectedAnswers.incrementAndGet();
            return false;
        }

        private boolean signedBy(byte[] body, String signature) {
            byte[] sig = signature == null ? null : Signatures.parse(signature);
            String signer = sig == null ? null : VERIFIER.recover(Signatures.eip191Hash(body), sig);
            return signer != null && signer.equalsIgnoreCase(schedulerAddress);
        }
    }

    private static JsonNode tree(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (Exception e) {
            return null;
        }
    }

    private static String nonce() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return HEX.formatHex(b);
    }



    /** utime + stime of a process, in clock ticks (100 a second). */
    private static long cpuTicks(long pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long generatorCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))] / 1e6;
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }
}
