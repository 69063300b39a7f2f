package org.aleph4j.ccn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Contents;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.runtime.DefaultRuntime;

/** Test helpers: a database backend per test class, signed messages, and HTTP calls to a running CCN. */
final class CcnHarness {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Where a test class keeps its data: SQLite under the data dir, or a fresh PostgreSQL schema. */
    enum Backend {
        SQLITE, POSTGRESQL;

        String createUrl() throws Exception {
            if (this == SQLITE) return null;
            String schema = "ccn_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + schema);
            }
            return "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&currentSchema=" + schema;
        }

        static void drop(String url) throws Exception {
            if (url == null) return;
            String schema = url.substring(url.indexOf("currentSchema=") + "currentSchema=".length());
            try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    record Resp(int status, JsonNode json, String body) {}

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    static Resp send(HttpRequest req) throws Exception {
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (Exception e) {
            // not JSON
        }
        return new Resp(r.statusCode(), json, r.body());
    }

    static Resp get(URI base, String path) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20)).GET().build());
    }

    static Resp postJson(URI base, String path, String body) throws Exception {
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(40))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static Resp post(URI base, AlephMessage m, boolean sync) throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("sync", sync);
        body.set("message", m.forSubmission().toJson());
        return postJson(base, "/api/v0/messages", Json.write(body));
    }

    static AlephMessage sign(EthAccount a, MessageType type, Content c) throws MessageException {
        return MessageBuilder.build(a, type, c, "TEST", now());
    }

    static AlephMessage post(EthAccount a, String type, String json) throws Exception {
        return sign(a, MessageType.POST, new PostContent(a.address(), now(), Json.MAPPER.readTree(json), type, null));
    }

    static AlephMessage aggregate(EthAccount a, String key, String json) throws Exception {
        return sign(a, MessageType.AGGREGATE, Contents.parse(MessageType.AGGREGATE,
                "{\"address\":\"" + a.address() + "\",\"time\":" + now() + ",\"key\":\"" + key + "\",\"content\":" + json + "}"));
    }

    static AlephMessage store(EthAccount a, byte[] file, String ref) throws Exception {
        return sign(a, MessageType.STORE, new StoreContent(a.address(), now(), ItemType.STORAGE, ItemHashes.sha256Hex(file),
                null, null, ref, null, null));
    }

    static AlephMessage forget(EthAccount a, String... hashes) throws Exception {
        return sign(a, MessageType.FORGET, new ForgetContent(a.address(), now(), java.util.List.of(hashes), null, "test"));
    }

    static AlephMessage balances(EthAccount oracle, Map<String, Object> amounts) throws Exception {
        ObjectNode content = Json.MAPPER.createObjectNode();
        content.put("chain", "ETH");
        content.put("main_height", 1);
        content.set("balances", Json.MAPPER.valueToTree(amounts));
        return sign(oracle, MessageType.POST, new PostContent(oracle.address(), now(), content, "balances-update", null));
    }

    /** A PROGRAM with tier-1 resources (1 compute unit) on the default runtime. */
    static AlephMessage program(EthAccount a, String codeRef, boolean persistent, boolean allowAmend, String replaces) throws Exception {
        return program(a, codeRef, persistent, allowAmend, replaces, now());
    }

    /** As above, dated {@code time} (content and envelope) by its sender. */
    static AlephMessage program(EthAccount a, String codeRef, boolean persistent, boolean allowAmend, String replaces,
                                double time) throws Exception {
        // a name per message keeps two programs built in the same millisecond distinct
        String json = "{\"address\":\"" + a.address() + "\",\"time\":" + time + ",\"allow_amend\":" + allowAmend
                + ",\"metadata\":{\"name\":\"" + UUID.randomUUID() + "\"}"
                + ",\"environment\":{},\"resources\":{\"vcpus\":1,\"memory\":128,\"seconds\":30},"
                + "\"payment\":{\"chain\":\"ETH\",\"type\":\"hold\"},\"volumes\":[],"
                + (replaces == null ? "" : "\"replaces\":\"" + replaces + "\",")
                + "\"type\":\"vm-function\",\"code\":{\"encoding\":\"zip\",\"entrypoint\":\"main:app\",\"ref\":\"" + codeRef
                + "\",\"use_latest\":true},\"runtime\":{\"ref\":\"" + DefaultRuntime.ref() + "\",\"use_latest\":true,\"comment\":\"\"},"
                + "\"on\":{\"http\":true,\"persistent\":" + persistent + "}}";
        return MessageBuilder.build(a, MessageType.PROGRAM, Contents.parse(MessageType.PROGRAM, json), "TEST", time);
    }

    /** POST /api/v0/storage/add_file with a metadata part (when {@code store} is not null) and a file part. */
    static Resp upload(URI base, AlephMessage store, byte[] file, boolean sync) throws Exception {
        String boundary = "b-" + UUID.randomUUID();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (store != null) {
            ObjectNode meta = Json.MAPPER.createObjectNode();
            meta.set("message", store.forSubmission().toJson());
            meta.put("sync", sync);
            out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n"
                    + "Content-Type: application/json\r\n\r\n" + Json.write(meta) + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(file);
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(HttpRequest.newBuilder(base.resolve("/api/v0/storage/add_file")).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())).build());
    }

    static String status(URI base, String hash) throws Exception {
        Resp r = get(base, "/api/v0/messages/" + hash + "/status");
        return r.status() == 404 ? "unknown" : r.json().path("status").asText();
    }

    static CcnConfig config(Path dir, String url, EthAccount oracle) {
        return CcnConfig.defaults(dir).withJdbcUrl(url).withOracleAddresses(java.util.Set.of(oracle.address()))
                .withFileLimits(4L * 1024 * 1024, 1024L * 1024);
    }
}
