package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code aleph file upload|download} and {@code aleph message get|find|forget} against a real CCN. */
class MessageAndFileCommandsTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;
    static Map<String, String> env;
    static String address;
    static Map<String, String> otherEnv;
    static String otherAddress;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
        env = Cli.env(net, tmp.resolve("home"), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        address = Cli.run(env, "account", "address").out().strip();
        otherEnv = Cli.env(net, tmp.resolve("home-other"), false);
        assertThat(Cli.run(otherEnv, "account", "create").code()).isZero();
        otherAddress = Cli.run(otherEnv, "account", "address").out().strip();
        net.fund(address, 10_000);
        net.fund(otherAddress, 10_000);
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Path randomFile(String name, int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Path f = tmp.resolve(name);
        Files.write(f, bytes);
        return f;
    }

    /** Uploads a file with --json and returns the CLI's JSON answer. */
    private static JsonNode upload(Map<String, String> e, Path file, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("file", "upload", file.toString(), "--json"));
        args.addAll(List.of(extra));
        Cli.Run up = Cli.run(e, args.toArray(String[]::new));
        assertThat(up.code()).as(up.err()).isZero();
        return Json.MAPPER.readTree(up.out());
    }

    @Test
    void fileUploadPrintsTheStoreHashAndDownloadReturnsTheSameBytesByFileOrStoreHash() throws Exception {
        Path file = randomFile("data.bin", 70_000, 1);
        byte[] original = Files.readAllBytes(file);
        JsonNode up = upload(env, file, "--metadata", "purpose=test");
        String storeHash = up.path("item_hash").asText();
        String fileHash = up.path("file_hash").asText();
        assertThat(ItemHashes.isItemHash(storeHash)).isTrue();
        assertThat(fileHash).isEqualTo(ItemHashes.sha256Hex(original));
        assertThat(up.path("size").asLong()).isEqualTo(original.length);
        assertThat(up.path("status").asText()).isEqualTo("processed");

        // The CCN holds a processed STORE by us that pins exactly this file.
        var rec = net.client().message(storeHash).orElseThrow();
        assertThat(rec.status()).isEqualTo("processed");
        assertThat(rec.message().sender()).isEqualTo(address);
        assertThat(rec.message().content().path("item_hash").asText()).isEqualTo(fileHash);
        assertThat(rec.message().content().path("metadata").path("purpose").asText()).isEqualTo("test");

        Path byFile = tmp.resolve("by-file.bin");
        Cli.Run d1 = Cli.run(env, "file", "download", fileHash, "-o", byFile.toString());
        assertThat(d1.code()).as(d1.err()).isZero();
        assertThat(d1.out()).contains("Downloaded " + fileHash + " to " + byFile + " (" + original.length + " bytes)");
        assertThat(Files.readAllBytes(byFile)).isEqualTo(original);

        Path byStore = tmp.resolve("by-store.bin");
        Cli.Run d2 = Cli.run(env, "file", "download", storeHash, "-o", byStore.toString(), "--json");
        assertThat(d2.code()).as(d2.err()).isZero();
        JsonNode dj = Json.MAPPER.readTree(d2.out());
        assertThat(dj.path("file_hash").asText()).isEqualTo(fileHash);
        assertThat(dj.path("size").asLong()).isEqualTo(original.length);
        assertThat(Files.readAllBytes(byStore)).isEqualTo(original);
    }

    @Test
    void downloadOfAnUnknownFileFailsWithNotFound() {
        String unknown = "cd".repeat(32);
        Path target = tmp.resolve("never.bin");
        Cli.Run r = Cli.run(env, "file", "download", unknown, "-o", target.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("Error: ").contains("file " + unknown + " not found");
        assertThat(target).doesNotExist();
    }

    @Test
    void messageGetPrintsStatusAndContent() throws Exception {
        Path file = randomFile("get.bin", 1000, 2);
        JsonNode up = upload(env, file);
        String storeHash = up.path("item_hash").asText();

        Cli.Run g = Cli.run(env, "message", "get", storeHash);
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("Message Status: processed");
        String json = g.out().substring(g.out().indexOf('{'));
        JsonNode m = Json.MAPPER.readTree(json);
        assertThat(m.path("item_hash").asText()).isEqualTo(storeHash);
        assertThat(m.path("type").asText()).isEqualTo("STORE");
        assertThat(m.path("sender").asText()).isEqualTo(address);
        assertThat(m.path("content").path("item_hash").asText()).isEqualTo(up.path("file_hash").asText());

        Cli.Run gj = Cli.run(env, "message", "get", storeHash, "--json");
        assertThat(gj.code()).as(gj.err()).isZero();
        JsonNode raw = Json.MAPPER.readTree(gj.out());
        assertThat(raw.path("status").asText()).isEqualTo("processed");
        assertThat(raw.path("message").path("item_hash").asText()).isEqualTo(storeHash);
    }

    @Test
    void messageFindFiltersByTypeAndAddress() throws Exception {
        String mine = upload(env, randomFile("find-mine.bin", 500, 3)).path("item_hash").asText();
        String theirs = upload(otherEnv, randomFile("find-theirs.bin", 500, 4)).path("item_hash").asText();

        Cli.Run f = Cli.run(env, "message", "find", "--types", "store", "--addresses", address, "--json");
        assertThat(f.code()).as(f.err()).isZero();
        JsonNode messages = Json.MAPPER.readTree(f.out()).path("messages");
        List<String> hashes = new ArrayList<>();
        for (JsonNode m : messages) {
            assertThat(m.path("type").asText()).isEqualTo("STORE");
            assertThat(m.path("sender").asText()).isEqualTo(address);
            hashes.add(m.path("item_hash").asText());
        }
        assertThat(hashes).contains(mine).doesNotContain(theirs);

        // Only the oracle's balance POSTs exist, so a POST query for our address finds nothing.
        Cli.Run none = Cli.run(env, "message", "find", "--types", "POST", "--addresses", address, "--json");
        assertThat(none.code()).as(none.err()).isZero();
        assertThat(Json.MAPPER.readTree(none.out()).path("messages")).isEmpty();

        Cli.Run text = Cli.run(env, "message", "find", "--types", "STORE", "--addresses", otherAddress);
        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out()).contains(theirs).doesNotContain(mine).containsPattern("\\d+ of \\d+ messages");
    }

    @Test
    void messageForgetForgetsYourMessageAndGetThenShowsItForgotten() throws Exception {
        String storeHash = upload(env, randomFile("forget.bin", 800, 5)).path("item_hash").asText();

        Cli.Run fg = Cli.run(env, "message", "forget", storeHash, "--reason", "test cleanup", "--json");
        assertThat(fg.code()).as(fg.err()).isZero();
        JsonNode res = Json.MAPPER.readTree(fg.out());
        String forgetHash = res.path("item_hash").asText();
        assertThat(res.path("status").asText()).isEqualTo("processed");
        assertThat(res.path("hashes").get(0).asText()).isEqualTo(storeHash);

        JsonNode forget = net.client().message(forgetHash).orElseThrow().message().content();
        assertThat(forget.path("reason").asText()).isEqualTo("test cleanup");
        assertThat(net.client().message(storeHash).orElseThrow().status()).isEqualTo("forgotten");

        Cli.Run g = Cli.run(env, "message", "get", storeHash);
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("Message Status: forgotten").contains("Forgotten by: " + forgetHash);
    }

    @Test
    void messageForgetOfSomeoneElsesMessageFailsClearlyAndLeavesItProcessed() throws Exception {
        String theirs = upload(otherEnv, randomFile("not-mine.bin", 600, 6)).path("item_hash").asText();

        Cli.Run r = Cli.run(env, "message", "forget", theirs);
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("Error: permission denied").contains(theirs)
                .contains("you can only forget messages sent by or owned by your account " + address);
        assertThat(r.err().strip()).doesNotContain("\n");
        assertThat(r.out()).isEmpty();
        assertThat(net.client().message(theirs).orElseThrow().status()).isEqualTo("processed");

        Cli.Run unknown = Cli.run(env, "message", "forget", "ef".repeat(32));
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("not found on the CCN — nothing was forgotten");
    }
}
