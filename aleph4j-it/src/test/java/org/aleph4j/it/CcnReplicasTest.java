package org.aleph4j.it;

import org.aleph4j.testkit.S3Server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.time.InstantSource;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Chain;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.node.NetworkBootstrap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two CCN processes ({@code bin/aleph-node ccn}) on one PostgreSQL schema and one S3-compatible bucket (s3rver) are
 * one CCN to their clients: a file written through either (add_file with a STORE, ipfs/add_file, a STORE message, a
 * message whose content is a stored file) is read through the other; a CRN whose CCN is a round-robin balancer over
 * both runs a program whose code was stored through the other replica; upstream's TypeScript SDK passes through
 * the balancer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CcnReplicasTest {
    static final String BUCKET = "ccn-replicas";
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final SecureRandom RANDOM = new SecureRandom();
    @TempDir
    static Path dir;
    S3Server s3;
    String schema;
    NodeProcess[] ccns = new NodeProcess[2];
    URI[] urls = new URI[2];
    NodeProcess crn;
    String crnUrl;
    RoundRobinProxy proxy;
    Map<String, String> env;
    EthAccount user;

    @BeforeAll
    void start() throws Exception {
        if (!S3Server.npxAvailable()) return;
        try (Connection c = DriverManager.getConnection(PG); Statement st = c.createStatement()) {
            schema = "ccn_replicas_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            st.execute("CREATE SCHEMA " + schema);
        } catch (java.sql.SQLException e) {
            if ("1".equals(System.getenv("ALEPH4J_REQUIRE_POSTGRES"))) throw e;
            return;
        }
        int base = Http.freePorts(3);
        for (int i = 0; i < 2; i++) urls[i] = URI.create("http://127.0.0.1:" + (base + i));
        proxy = new RoundRobinProxy(List.of(urls));
        crnUrl = "http://127.0.0.1:" + (base + 2);
        EthAccount oracle = EthAccount.generate(RANDOM);
        env = new HashMap<>(Map.of("ALEPH_HOME", dir.resolve("aleph-home").toString(),
                // the keys reach the CCN through its settings' environment, never on its command line
                "ALEPH4J_FILE_STORE_ACCESS_KEY", S3Server.KEY, "ALEPH4J_FILE_STORE_SECRET_KEY", S3Server.KEY));
        // the CRN needs its CCN only once a program is asked for: it starts while the rest comes up
        crn = NodeProcess.start("crn", dir.resolve("crn.log"), env, "aleph-node", "crn", "--data", dir.resolve("crn").toString(),
                "--port", String.valueOf(base + 2), "--ccn-url", proxy.url().toString(), "--executor", "process");
        s3 = S3Server.start(dir, BUCKET);
        String db = PG + "&currentSchema=" + schema;
        String store = "s3://" + BUCKET + "/files/?endpoint=" + s3.endpoint;
        for (int i = 0; i < 2; i++) {
            ccns[i] = NodeProcess.start("ccn-" + i, dir.resolve("ccn-" + i + ".log"), env, "aleph-node", "ccn", "--data",
                    dir.resolve("ccn-" + i).toString(), "--port", String.valueOf(base + i), "--db", db, "--file-store", store,
                    "--oracle-addresses", oracle.address());
        }
        // both start at once: Flyway serialises their migrations of the one schema with a database lock
        ccns[0].awaitLog("aleph4j ccn ready", Duration.ofSeconds(120));
        ccns[1].awaitLog("aleph4j ccn ready", Duration.ofSeconds(120));
        assertThat(ccns[0].logText()).contains("files in s3://" + BUCKET + "/files/").doesNotContain(S3Server.KEY);
        user = EthAccount.generate(RANDOM);
        KeyFiles.write(dir.resolve("aleph-home/private-keys/ethereum.key"), user, false);
        try (CcnClient client = new CcnClient(urls[1], Duration.ofSeconds(30))) {
            new NetworkBootstrap(client, InstantSource.system()).fund(oracle, Map.of(user.address(), 1_000_000d));
        }
        crn.awaitLog("aleph4j crn ready", Duration.ofSeconds(120));
    }

    @AfterAll
    void stop() throws Exception {
        if (crn != null) crn.close();
        for (NodeProcess p : ccns) if (p != null) p.close();
        if (proxy != null) proxy.close();
        if (s3 != null) s3.close();
        if (schema != null) {
            try (Connection c = DriverManager.getConnection(PG); Statement st = c.createStatement()) {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    void require() {
        S3Server.require();
        Assumptions.assumeTrue(schema != null, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres) is not reachable");
    }

    record Resp(int status, byte[] body) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON (" + status + "): " + new String(body, StandardCharsets.UTF_8));
            }
        }

        @Override
        public String toString() {
            return status + " " + new String(body, 0, Math.min(body.length, 2000), StandardCharsets.UTF_8);
        }
    }

    static Resp send(HttpRequest r) throws Exception {
        HttpResponse<byte[]> resp = HTTP.send(r, HttpResponse.BodyHandlers.ofByteArray());
        return new Resp(resp.statusCode(), resp.body());
    }

    static Resp get(URI base, String path) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    static Resp postJson(URI base, String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    static Resp postMessage(URI base, AlephMessage m) throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("message", m.forSubmission().toJson());
        body.put("sync", true);
        return postJson(base, "/api/v0/messages", Json.write(body));
    }

    /** A multipart upload to {@code path}: a metadata part with {@code store} (when not null), then the file. */
    static Resp upload(URI base, String path, AlephMessage store, byte[] file) throws Exception {
        String boundary = "b-" + UUID.randomUUID();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (store != null) {
            ObjectNode meta = Json.MAPPER.createObjectNode();
            meta.set("message", store.forSubmission().toJson());
            meta.put("sync", true);
            out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n"
                    + "Content-Type: application/json\r\n\r\n" + Json.write(meta) + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(file);
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())).build());
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    AlephMessage store(ItemType type, byte[] file) throws Exception {
        return MessageBuilder.build(user, MessageType.STORE, new StoreContent(user.address(), now(), type, ItemHashes.sha256Hex(file),
                null, null, null, null, null), "TEST", now());
    }

    static byte[] random(int size) {
        byte[] b = new byte[size];
        RANDOM.nextBytes(b);
        return b;
    }

    /** {@code storage/raw}, {@code storage/{hash}} (base64) and {@code storage/metadata} through {@code reader} give {@code data}. */
    static void readsBack(URI reader, byte[] data) throws Exception {
        String sha = ItemHashes.sha256Hex(data);
        Resp raw = get(reader, "/api/v0/storage/raw/" + sha);
        assertThat(raw.status()).as("raw through %s", reader).isEqualTo(200);
        assertThat(raw.body()).isEqualTo(data);
        Resp b64 = get(reader, "/api/v0/storage/" + sha);
        assertThat(b64.status()).as(b64.toString()).isEqualTo(200);
        assertThat(Base64.getMimeDecoder().decode(b64.json().path("content").asText())).isEqualTo(data);
        Resp meta = get(reader, "/api/v0/storage/metadata/" + sha);
        assertThat(meta.status()).as(meta.toString()).isEqualTo(200);
        assertThat(meta.json().path("size").asLong()).isEqualTo(data.length);
    }

    @Test
    @Order(1)
    void aFileWrittenThroughEitherReplicaIsReadThroughTheOther() throws Exception {
        require();
        for (int w = 0; w < 2; w++) {
            URI writer = urls[w];
            URI reader = urls[1 - w];
            // storage/add_file with its signed STORE
            byte[] a = random(300_000);
            AlephMessage sa = store(ItemType.STORAGE, a);
            Resp up = upload(writer, "/api/v0/storage/add_file", sa, a);
            assertThat(up.status()).as(up.toString()).isEqualTo(200);
            assertThat(up.json().path("message_status").asText()).isEqualTo("processed");
            readsBack(reader, a);
            assertThat(get(reader, "/api/v0/storage/by-message-hash/" + sa.itemHash()).json().path("file_hash").asText())
                    .isEqualTo(ItemHashes.sha256Hex(a));

            // ipfs/add_file (what upstream's SDK uses above 4 MiB), then its STORE (item_type ipfs, the sha256) posted
            byte[] b = random(1_200_000);
            Resp ipfs = upload(writer, "/api/v0/ipfs/add_file", null, b);
            assertThat(ipfs.status()).as(ipfs.toString()).isEqualTo(200);
            assertThat(ipfs.json().path("hash").asText()).isEqualTo(ItemHashes.sha256Hex(b));
            AlephMessage sb = store(ItemType.IPFS, b);
            Resp posted = postMessage(writer, sb);
            assertThat(posted.status()).as(posted.toString()).isEqualTo(200);
            readsBack(reader, b);

            // an anonymous upload through one, its STORE message through the other: the other's pipeline finds the file
            byte[] c = random(50_000);
            assertThat(upload(writer, "/api/v0/storage/add_file", null, c).status()).isEqualTo(200);
            AlephMessage sc = store(ItemType.STORAGE, c);
            Resp pc = postMessage(reader, sc);
            assertThat(pc.status()).as(pc.toString()).isEqualTo(200);
            assertThat(get(writer, "/api/v0/messages/" + sc.itemHash()).json().path("status").asText()).isEqualTo("processed");
            readsBack(writer, c);

            // a message whose content is a stored file (item_type storage): stored through one, processed by the other
            String content = "{\"address\":\"" + user.address() + "\",\"time\":" + now() + ",\"type\":\"replica-test\",\"content\":{\"w\":" + w + "}}";
            Resp json = postJson(writer, "/api/v0/storage/add_json", content);
            assertThat(json.status()).as(json.toString()).isEqualTo(200);
            String contentHash = json.json().path("hash").asText();
            AlephMessage unsigned = new AlephMessage(Chain.ETH, user.address(), MessageType.POST, "TEST", ItemType.STORAGE, null,
                    contentHash, null, now(), null, null, null, null, null, null);
            AlephMessage m = unsigned.withSignature(user.signEip191(unsigned.verificationBuffer()));
            Resp pm = postMessage(reader, m);
            assertThat(pm.status()).as(pm.toString()).isEqualTo(200);
            JsonNode read = get(writer, "/api/v0/messages/" + m.itemHash()).json();
            assertThat(read.path("status").asText()).isEqualTo("processed");
            assertThat(read.path("message").path("content").path("content").path("w").asInt()).isEqualTo(w);
        }
    }

    @Test
    @Order(2)
    void aCrnBehindABalancerRunsAProgramWhoseCodeWasStoredThroughTheOtherReplica() throws Exception {
        require();
        Path src = Files.createDirectories(dir.resolve("work/ondemand"));
        Files.writeString(src.resolve("main.py"), TutorialContract.TUTORIAL_MAIN_PY);
        for (int through = 1; through >= 0; through--) {
            Map<String, String> cliEnv = new HashMap<>(env);
            cliEnv.put("ALEPH_CCN_URL", urls[through].toString());
            Files.writeString(src.resolve("version.txt"), "stored through replica " + through);
            Cli.Result upload = new Cli(dir.resolve("work"), cliEnv).run("program upload ./ondemand/ main:app");
            assertThat(upload.exit()).as(upload.toString()).isZero();
            String hash = upload.firstHash();
            // the first program's code and message went through replica 1: the balancer sends the CRN to replica 0 only,
            // as it would with 1 out of rotation; the second runs with both replicas in turn
            proxy.only(through == 1 ? 0 : -1);
            long before = proxy.hops.size();
            // a cold start (the code fetched, FastAPI imported) on a loaded machine can take well over Http.get's 10 s
            Resp r = send(HttpRequest.newBuilder(URI.create(crnUrl + "/vm/" + hash + "/")).timeout(Duration.ofSeconds(90)).GET().build());
            assertThat(r.status()).as(r + "\n" + crn.tail()).isEqualTo(200);
            assertThat(r.json().path("message").asText()).isEqualTo("Hello World");
            List<RoundRobinProxy.Hop> fetched = proxy.hops.stream().skip(before).filter(h -> h.path().contains("/storage/raw/")).toList();
            assertThat(fetched).as("the CRN fetched the code through the balancer").isNotEmpty();
            if (through == 1) assertThat(fetched).allMatch(h -> h.backend() == 0 && h.status() == 200);
        }
        proxy.only(-1);
        assertThat(proxy.served(0)).isPositive();
        assertThat(proxy.served(1)).isPositive();
    }

    @Test
    @Order(3)
    void upstreamsTypeScriptSdkPassesThroughTheBalancer() throws Exception {
        require();
        Path js = NodeProcess.ROOT.resolve("aleph4j-ccn/src/test/js");
        Assumptions.assumeTrue(Files.isRegularFile(js.resolve("test.mjs")), "no TypeScript SDK test at " + js);
        if (!Files.isDirectory(js.resolve("node_modules"))) run(js, List.of("npm", "ci", "--no-audit", "--no-fund"), 300, dir.resolve("npm.log"));
        String out = run(js, List.of("node", "test.mjs", proxy.url().toString()), 180, dir.resolve("sdk.log"));
        assertThat(out).contains("OK post", "OK store", "OK download", "OK download-binary", "OK aggregate", "OK query",
                "OK binary-sizes", "OK ipfs-store", "OK posts-list", "OK aggregates-list", "OK forget", "ALL OK");
        assertThat(out).doesNotContain("FAIL");
        assertThat(proxy.served(0)).isPositive();
        assertThat(proxy.served(1)).isPositive();
    }

    /** Runs a command bounded in time, killing it and its children (by pid) if it overruns; returns its output. */
    static String run(Path cwd, List<String> cmd, long timeoutSeconds, Path log) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(done).as("%s did not finish in %d s:%n%s", cmd, timeoutSeconds, out).isTrue();
            assertThat(p.exitValue()).as("%s failed:%n%s", cmd, out).isZero();
            return out;
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
