package org.aleph4j.bench.crn;

import org.aleph4j.testkit.TestNetwork;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.runtime.DefaultRuntime;

/**
 * Sandbox vs process executor on one CCN, with every protection on (per-execution user, seccomp,
 * cgroups, tmpfs work directory; the sandbox's namespaces and nft filter): cold start (FastAPI and
 * binary, p50/p99) and warm request latency through the CRN; then the sandbox's FastAPI cold start
 * from its warm pool (2 slots, the pool full before each request, as on a node whose pool keeps up
 * with its first requests). Needs root, bwrap and network namespaces for the sandbox half.
 * Usage: {@code CrnSandboxLatency [runs=20] [warmRequests=2000] [setups=process,sandbox,sandbox+warm-pool]}.
 */
public final class CrnSandboxLatency {
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int warm = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
        List<String> setups = List.of((args.length > 2 ? args[2] : "process,sandbox,sandbox+warm-pool").split(","));
        Path dir = Files.createTempDirectory("crn-sandbox-bench");
        EthAccount oracle = EthAccount.generate(new SecureRandom());
        EthAccount user = EthAccount.generate(new SecureRandom());
        try (CcnNode ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn")).withPort(0)
                .withOracleAddresses(Set.of(oracle.address(), oracle.address().toLowerCase()))).start();
             CcnClient client = new CcnClient(ccn.url(), Duration.ofSeconds(30))) {
            var balances = Json.MAPPER.createObjectNode();
            balances.put("chain", "ETH");
            balances.putObject("balances").put(user.address(), 100_000_000);
            client.post(MessageBuilder.build(oracle, MessageType.POST, new PostContent(oracle.address(), CrnLatency.now(), balances,
                    "balances-update", null), null, CrnLatency.now()), true);
            byte[] d = DefaultRuntime.descriptor();
            client.uploadFile(new ByteArrayInputStream(d), d.length, "rt", DefaultRuntime.storeMessage(), true, null);
            String fastCode = CrnLatency.store(client, user, TestNetwork.zip(Map.of("main.py", CrnLatency.MAIN)));
            String binCode = CrnLatency.store(client, user, TestNetwork.zip(Map.of("run.sh", CrnLatency.BIN)));
            HttpClient http = HttpClient.newBuilder().build();
            for (String setup : setups) {
                CrnConfig.ExecutorKind kind = setup.equals("process") ? CrnConfig.ExecutorKind.PROCESS : CrnConfig.ExecutorKind.SANDBOX;
                boolean pooled = setup.endsWith("warm-pool");
                // every cold start leaves a warm program behind: room for all of them, so admission never refuses one
                CrnConfig cfg = CrnConfig.defaults(dir.resolve("crn-" + setup), ccn.url()).withExecutor(kind)
                        .withIdleTimeout(Duration.ofSeconds(30)).withCapacity(new CrnConfig.Capacity(4 * runs + 8, 1 << 20, 100_000))
                        .withWarmPool(pooled ? 2 : 0);
                CrnNode crn;
                try {
                    crn = new CrnNode(cfg, LeaseDirectory.NONE).start();
                } catch (IllegalStateException e) {
                    System.out.println(setup + ": " + e.getMessage());
                    continue;
                }
                try (crn) {
                    String name = pooled ? setup : crn.executorName();
                    for (String iface : pooled ? List.of("fastapi") : List.of("fastapi", "binary")) {
                        long[] cold = new long[runs];
                        for (int i = 0; i < runs; i++) {
                            if (pooled) awaitReadySlot(http, crn);
                            String hash = iface.equals("fastapi") ? CrnLatency.program(client, user, fastCode, "main:app")
                                    : CrnLatency.program(client, user, binCode, "run.sh");
                            long t0 = System.nanoTime();
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(crn.url() + "/vm/" + hash + "/")).build(),
                                    HttpResponse.BodyHandlers.ofString());
                            cold[i] = System.nanoTime() - t0;
                            if (r.statusCode() != 200) System.out.println(name + " cold " + iface + " answered " + r.statusCode() + ": " + r.body());
                        }
                        Arrays.sort(cold);
                        System.out.printf("%-8s cold start %-8s runs=%d p50=%.0f ms p99=%.0f ms%n", name, iface, runs,
                                CrnLatency.pct(cold, 50) / 1e6, CrnLatency.pct(cold, 99) / 1e6);
                    }
                    if (pooled) continue; // the same programs, once started, as the sandbox's above
                    // uvicorn (as CrnLatency): the binary example's single-threaded http.server stalls on pooled connections
                    String hash = CrnLatency.program(client, user, fastCode, "main:app");
                    URI via = URI.create(crn.url() + "/vm/" + hash + "/");
                    CrnLatency.latencies(http, via, Math.max(100, warm / 4)); // warm-up
                    long[] lat = CrnLatency.latencies(http, via, warm);
                    System.out.printf("%-8s warm fastapi via CRN  n=%d p50=%.3f ms p99=%.3f ms%n", name, warm,
                            CrnLatency.pct(lat, 50) / 1e6, CrnLatency.pct(lat, 99) / 1e6);
                }
            }
        }
    }

    /** Waits (at most 60 s) until the node's warm pool is full again (no refill competing with the measured start). */
    static void awaitReadySlot(HttpClient http, CrnNode crn) throws Exception {
        long end = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < end) {
            var about = Json.MAPPER.readTree(http.send(HttpRequest.newBuilder(URI.create(crn.url() + "/about")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            var pool = about.path("executor_details").path("warm_pool");
            if (pool.path("ready").asInt() >= pool.path("size").asInt()) return;
            Thread.sleep(50);
        }
        System.out.println("warm pool: not full within 60 s");
    }

    private CrnSandboxLatency() {}
}
