package org.aleph4j.bench.crn;

import org.aleph4j.testkit.TestNetwork;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Environment;
import org.aleph4j.message.content.Interface;
import org.aleph4j.message.content.Payment;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.Resources;
import org.aleph4j.message.content.Runtime;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.content.Triggers;
import org.aleph4j.message.runtime.DefaultRuntime;

/**
 * Cold start (FastAPI and binary) and warm proxy overhead of a CRN against a real CCN, all on
 * 127.0.0.1. Usage: {@code CrnLatency [runs=20] [warmRequests=2000] [seconds=5]}.
 */
public final class CrnLatency {
    static final String MAIN = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/\")\nasync def root():\n    return {\"message\": \"Hello World\"}\n";
    static final String BIN = "#!/bin/sh\nexec python3 -c 'import os\nfrom http.server import BaseHTTPRequestHandler, HTTPServer\nclass H(BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200); self.send_header(\"Content-Length\", \"2\"); self.end_headers(); self.wfile.write(b\"ok\")\n    def log_message(self, *a): pass\nHTTPServer((\"0.0.0.0\" if os.environ.get(\"ALEPH4J_EXECUTOR\") == \"sandbox\" else \"127.0.0.1\", int(os.environ[\"PORT\"])), H).serve_forever()'\n";

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Files.createTempDirectory("crn-bench");
        EthAccount oracle = EthAccount.generate(new SecureRandom());
        EthAccount user = EthAccount.generate(new SecureRandom());
        Process direct = null;
        try (CcnNode ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn")).withPort(0)
                .withOracleAddresses(Set.of(oracle.address(), oracle.address().toLowerCase()))).start();
             CcnClient client = new CcnClient(ccn.url(), Duration.ofSeconds(30));
             CrnNode crn = new CrnNode(CrnConfig.defaults(dir.resolve("crn"), ccn.url()).withIdleTimeout(Duration.ofSeconds(2))
                     // room for every cold start's program while the earlier ones idle out
                     .withCapacity(new CrnConfig.Capacity(4 * runs + 8, 1 << 20, 100_000)),
                     LeaseDirectory.NONE).start()) {
            var balances = Json.MAPPER.createObjectNode();
            balances.put("chain", "ETH");
            balances.putObject("balances").put(user.address(), 100_000_000);
            client.post(MessageBuilder.build(oracle, MessageType.POST, new PostContent(oracle.address(), now(), balances,
                    "balances-update", null), null, now()), true);
            byte[] d = DefaultRuntime.descriptor();
            client.uploadFile(new ByteArrayInputStream(d), d.length, "rt", DefaultRuntime.storeMessage(), true, null);
            String fastCode = store(client, user, TestNetwork.zip(Map.of("main.py", MAIN)));
            String binCode = store(client, user, TestNetwork.zip(Map.of("run.sh", BIN)));
            HttpClient http = HttpClient.newBuilder().build();

            for (String kind : List.of("fastapi", "binary")) {
                long[] cold = new long[runs];
                for (int i = 0; i < runs; i++) {
                    String hash = kind.equals("fastapi") ? program(client, user, fastCode, "main:app")
                            : program(client, user, binCode, "run.sh");
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(crn.url() + "/vm/" + hash + "/")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    cold[i] = System.nanoTime() - t0;
                    if (r.statusCode() != 200) System.out.println("cold start " + kind + " answered " + r.statusCode() + ": " + r.body());
                }
                Arrays.sort(cold);
                System.out.printf("cold start %-8s runs=%d p50=%.0f ms p99=%.0f ms max=%.0f ms%n", kind, runs, pct(cold, 50) / 1e6,
                        pct(cold, 99) / 1e6, cold[runs - 1] / 1e6);
            }

            // warm: the same FastAPI app through the CRN and served directly by uvicorn
            String hash = program(client, user, fastCode, "main:app");
            URI viaCrn = URI.create(crn.url() + "/vm/" + hash + "/");
            Path app = dir.resolve("direct");
            Files.createDirectories(app);
            Files.writeString(app.resolve("main.py"), MAIN);
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            direct = new ProcessBuilder("/usr/bin/python3", "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port",
                    Integer.toString(port), "--app-dir", app.toString(), "--no-access-log").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            awaitPort(port);
            URI directUri = URI.create("http://127.0.0.1:" + port + "/");
            // keep the CRN execution warm during the run (idle timeout 2 s)
            long[] viaLat = latencies(http, viaCrn, warm);
            long[] directLat = latencies(http, directUri, warm);
            viaLat = latencies(http, viaCrn, warm);
            System.out.printf("warm direct  p50=%.3f ms p99=%.3f ms%n", pct(directLat, 50) / 1e6, pct(directLat, 99) / 1e6);
            System.out.printf("warm via CRN p50=%.3f ms p99=%.3f ms%n", pct(viaLat, 50) / 1e6, pct(viaLat, 99) / 1e6);
            System.out.printf("added latency p50=%.3f ms p99=%.3f ms%n", (pct(viaLat, 50) - pct(directLat, 50)) / 1e6,
                    (pct(viaLat, 99) - pct(directLat, 99)) / 1e6);
            double rDirect = throughput(http, directUri, seconds);
            double rCrn = throughput(http, viaCrn, seconds);
            System.out.printf("throughput direct=%.0f req/s via CRN=%.0f req/s (%.0f%%)%n", rDirect, rCrn, 100 * rCrn / rDirect);
        } finally {
            if (direct != null) {
                direct.destroyForcibly();
                direct.waitFor();
            }
        }
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    static double pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    static long[] latencies(HttpClient http, URI uri, int n) throws Exception {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            out[i] = System.nanoTime() - t0;
        }
        Arrays.sort(out);
        return out;
    }

    static double throughput(HttpClient http, URI uri, int seconds) throws Exception {
        AtomicLong count = new AtomicLong();
        long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    try {
                        http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding());
                        count.incrementAndGet();
                    } catch (Exception e) {
                        return;
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        return count.get() / (double) seconds;
    }

    static void awaitPort(int port) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (Exception e) {
                Thread.onSpinWait();
            }
            Thread.sleep(20); // polling a port we just spawned, bounded by the deadline above
        }
        throw new IllegalStateException("direct uvicorn did not start");
    }

    static String store(CcnClient client, EthAccount user, byte[] bytes) throws Exception {
        StoreContent sc = new StoreContent(user.address(), now(), ItemType.STORAGE, ItemHashes.sha256Hex(bytes), null, null, null, null, null);
        AlephMessage m = MessageBuilder.build(user, MessageType.STORE, sc, null, now());
        client.uploadFile(new ByteArrayInputStream(bytes), bytes.length, "code.zip", m, true, null);
        return m.itemHash();
    }

    static String program(CcnClient client, EthAccount user, String code, String entrypoint) throws Exception {
        ProgramContent pc = new ProgramContent(user.address(), now(), true, null, List.of(), null,
                new Environment(false, false, true, false), new Resources(1, 256, 30, null), new Payment("ETH", null, "hold"), null,
                List.of(), null, ProgramContent.TYPE,
                new CodeContent(Encoding.ZIP, entrypoint, code, entrypoint.contains(":") ? Interface.ASGI : Interface.BINARY, null, true),
                new Runtime(DefaultRuntime.ref(), true, DefaultRuntime.COMMENT), null, null, new Triggers(true, null, false));
        AlephMessage m = MessageBuilder.build(user, MessageType.PROGRAM, pc, null, now());
        client.post(m, true);
        return m.itemHash();
    }


    private CrnLatency() {}
}
