package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageType;
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

/** {@code aleph file list|pin|forget} against a real CCN ({@code GET /api/v0/addresses/{address}/files}). */
class FileListPinForgetTest {
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

    private static JsonNode json(Cli.Run r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        return Json.MAPPER.readTree(r.out());
    }

    private static JsonNode upload(Map<String, String> e, String name, int size, long seed) throws Exception {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        Path f = tmp.resolve(name);
        Files.write(f, bytes);
        return json(Cli.run(e, "file", "upload", f.toString(), "--json"));
    }

    @Test
    void listShowsTheFilesAnAddressPinsInUpstreamsShape() throws Exception {
        Map<String, String> e = Cli.env(net, tmp.resolve("home-list"), false);
        assertThat(Cli.run(e, "account", "create").code()).isZero();
        String me = Cli.run(e, "account", "address").out().strip();
        net.fund(me, 10_000);
        Cli.Run empty = Cli.run(e, "file", "list");
        assertThat(empty.code()).as(empty.err()).isZero();
        assertThat(empty.out()).contains("No files");

        JsonNode a = upload(e, "list-a.bin", 1000, 1);
        JsonNode b = upload(e, "list-b.bin", 2500, 2);
        JsonNode page = json(Cli.run(e, "file", "list", "--json"));
        assertThat(page.path("address").asText()).isEqualToIgnoringCase(me);
        assertThat(page.path("total_size").asLong()).isEqualTo(3500);
        assertThat(page.path("pagination_total").asInt()).isEqualTo(2);
        assertThat(page.path("pagination_page").asInt()).isEqualTo(1);
        assertThat(page.path("pagination_per_page").asInt()).isEqualTo(100);
        List<String> fileHashes = new ArrayList<>();
        for (JsonNode f : page.path("files")) {
            fileHashes.add(f.path("file_hash").asText());
            assertThat(f.has("size") && f.has("type") && f.has("created") && f.has("item_hash")).isTrue();
        }
        assertThat(fileHashes).containsExactly(b.path("file_hash").asText(), a.path("file_hash").asText());
        JsonNode oldestFirst = json(Cli.run(e, "file", "list", "--json", "--sort-order", "1", "--pagination", "1"));
        assertThat(oldestFirst.path("files").size()).isEqualTo(1);
        assertThat(oldestFirst.path("files").get(0).path("item_hash").asText()).isEqualTo(a.path("item_hash").asText());

        Cli.Run text = Cli.run(e, "file", "list");
        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out()).contains("Total size: 3500 bytes").contains(a.path("file_hash").asText()).contains(b.path("item_hash").asText());
        Cli.Run theirs = Cli.run(env, "file", "list", "--address", me, "--json");
        assertThat(json(theirs).path("pagination_total").asInt()).isEqualTo(2);

        Cli.Run bad = Cli.run(e, "file", "list", "--sort-order", "0");
        assertThat(bad.code()).isEqualTo(2);
    }

    @Test
    void pinPostsAStoreOfYoursForAFileAlreadyOnTheCcn() throws Exception {
        JsonNode theirs = upload(otherEnv, "pin-theirs.bin", 3000, 3);
        String fileHash = theirs.path("file_hash").asText();
        JsonNode pinned = json(Cli.run(env, "file", "pin", fileHash, "--metadata", "why=backup", "--json"));
        var rec = net.client().message(pinned.path("item_hash").asText()).orElseThrow();
        assertThat(rec.status()).isEqualTo("processed");
        assertThat(rec.message().type()).isEqualTo(MessageType.STORE);
        assertThat(rec.message().sender()).isEqualTo(address);
        assertThat(rec.message().content().path("item_hash").asText()).isEqualTo(fileHash);
        assertThat(rec.message().content().path("item_type").asText()).isEqualTo("storage");
        assertThat(rec.message().content().path("metadata").path("why").asText()).isEqualTo("backup");

        long before = net.messagesFrom(address);
        Cli.Run absent = Cli.run(env, "file", "pin", ItemHashes.sha256Hex("never uploaded"));
        assertThat(absent.code()).isEqualTo(1);
        assertThat(absent.err()).contains("is not on the CCN").contains("nothing was sent");
        Cli.Run cid = Cli.run(env, "file", "pin", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG");
        assertThat(cid.code()).isEqualTo(2);
        assertThat(cid.err()).contains("IPFS CID").contains("runs no IPFS");
        Cli.Run junk = Cli.run(env, "file", "pin", "xyz");
        assertThat(junk.code()).isEqualTo(2);
        assertThat(net.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void forgetForgetsStoresByItemHashOrByFileHashAndRefusesOthers() throws Exception {
        JsonNode one = upload(env, "forget-1.bin", 900, 4);
        JsonNode two = upload(env, "forget-2.bin", 901, 5);
        JsonNode res = json(Cli.run(env, "file", "forget", one.path("item_hash").asText(), "--json"));
        assertThat(res.path("status").asText()).isEqualTo("processed");
        assertThat(net.client().message(one.path("item_hash").asText()).orElseThrow().status()).isEqualTo("forgotten");
        JsonNode forget = net.client().message(res.path("item_hash").asText()).orElseThrow().message().content();
        assertThat(forget.path("reason").asText()).isEqualTo("User deletion");

        // by the file's hash: the STOREs of yours that pin it
        Cli.Run byFile = Cli.run(env, "file", "forget", two.path("file_hash").asText(), "--reason", "cleanup");
        assertThat(byFile.code()).as(byFile.err()).isZero();
        assertThat(byFile.out()).contains("Forgot " + two.path("item_hash").asText());
        assertThat(net.client().message(two.path("item_hash").asText()).orElseThrow().status()).isEqualTo("forgotten");

        long before = net.messagesFrom(address);
        String post = net.publish(net.user(), MessageType.POST, new org.aleph4j.message.content.PostContent(net.user().address(),
                TestNetwork.now(), Json.MAPPER.createObjectNode(), "x", null));
        Cli.Run notStore = Cli.run(env, "file", "forget", post);
        assertThat(notStore.code()).isEqualTo(1);
        assertThat(notStore.err()).contains("not a STORE").contains("nothing was sent");
        Cli.Run unknown = Cli.run(env, "file", "forget", "ab".repeat(32));
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("neither a STORE message nor a file pinned by your account");
        Cli.Run again = Cli.run(env, "file", "forget", one.path("item_hash").asText());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("already forgotten");
        assertThat(net.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void helpShowsAnExample() {
        for (String cmd : new String[]{"list", "pin", "forget"}) {
            Cli.Run h = Cli.run(env, "file", cmd, "--help");
            assertThat(h.code()).isZero();
            assertThat(h.out()).contains("Example").contains("aleph file " + cmd);
        }
    }
}
