package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code aleph message post|amend|watch|sign}, {@code find --message-types} and {@code ALEPH_API_HOST}, against a real CCN. */
class MessagePostAmendWatchSignTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;
    static Map<String, String> env;
    static String address;
    static Map<String, String> otherEnv;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
        env = Cli.env(net, tmp.resolve("home"), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        address = Cli.run(env, "account", "address").out().strip();
        otherEnv = Cli.env(net, tmp.resolve("home-other"), false);
        assertThat(Cli.run(otherEnv, "account", "create").code()).isZero();
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static JsonNode json(Cli.Run r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        return Json.MAPPER.readTree(r.out());
    }

    private static String post(String content, String... extra) throws Exception {
        String[] args = new String[3 + extra.length];
        args[0] = "message";
        args[1] = "post";
        args[2] = "--json";
        System.arraycopy(extra, 0, args, 3, extra.length);
        JsonNode r = json(Cli.runWithStdin(env, content, args));
        assertThat(r.path("status").asText()).isEqualTo("processed");
        return r.path("item_hash").asText();
    }

    @Test
    void postFromStdinOrAFileSendsAPostWithTypeRefAndChannel() throws Exception {
        String h = post("{\"text\": \"hello\"}", "--type", "note", "--ref", "my-ref", "--channel", "TEST");
        var m = net.client().message(h).orElseThrow().message();
        assertThat(m.type()).isEqualTo(MessageType.POST);
        assertThat(m.sender()).isEqualTo(address);
        assertThat(m.channel()).isEqualTo("TEST");
        assertThat(m.content().path("type").asText()).isEqualTo("note");
        assertThat(m.content().path("ref").asText()).isEqualTo("my-ref");
        assertThat(m.content().path("content").path("text").asText()).isEqualTo("hello");

        Path file = Files.writeString(tmp.resolve("post.json"), "{\"n\": 7}");
        Cli.Run fromFile = Cli.run(env, "message", "post", "--path", file.toString());
        assertThat(fromFile.code()).as(fromFile.err()).isZero();
        assertThat(fromFile.out()).contains("\"type\" : \"POST\"").containsPattern("Posted [0-9a-f]{64} \\(processed\\)");
        String fh = fromFile.out().replaceAll("(?s).*Posted ([0-9a-f]{64}).*", "$1");
        assertThat(net.client().message(fh).orElseThrow().message().content().path("type").asText()).isEqualTo("test");

        // upstream's spelling of the type filter
        JsonNode found = json(Cli.run(env, "message", "find", "--message-types", "POST", "--addresses", address, "--json"));
        assertThat(found.path("messages").findValuesAsText("item_hash")).contains(h, fh);
    }

    @Test
    void postRefusesBadJsonOrNoContentAndSendsNothing() throws Exception {
        long before = net.messagesFrom(address);
        Cli.Run bad = Cli.runWithStdin(env, "{oops", "message", "post");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).startsWith("Error: the content is not valid JSON");
        Cli.Run none = Cli.run(env, "message", "post");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("pass --path FILE or pipe the JSON on standard input");
        Cli.Run missing = Cli.run(env, "message", "post", "--path", tmp.resolve("nope.json").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file");
        assertThat(net.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void amendPostsAnAmendOfYourPostAndRefusesOthersPostsAndNonPosts() throws Exception {
        String original = post("{\"v\": 1}", "--type", "doc");
        JsonNode am = json(Cli.runWithStdin(env, "{\"v\": 2}", "message", "amend", original, "--json"));
        var m = net.client().message(am.path("item_hash").asText()).orElseThrow();
        assertThat(m.status()).isEqualTo("processed");
        assertThat(m.message().content().path("type").asText()).isEqualTo("amend");
        assertThat(m.message().content().path("ref").asText()).isEqualTo(original);
        assertThat(m.message().content().path("content").path("v").asInt()).isEqualTo(2);

        // amending the amend amends the original post
        JsonNode again = json(Cli.runWithStdin(env, "{\"v\": 3}", "message", "amend", am.path("item_hash").asText(), "--json"));
        assertThat(net.client().message(again.path("item_hash").asText()).orElseThrow().message().content().path("ref").asText())
                .isEqualTo(original);

        long before = net.messagesFrom(address);
        Cli.Run theirs = Cli.runWithStdin(otherEnv, "{\"v\": 9}", "message", "amend", original);
        assertThat(theirs.code()).isEqualTo(1);
        assertThat(theirs.err()).contains("belongs to " + address);
        Cli.Run unknown = Cli.runWithStdin(env, "{}", "message", "amend", "ab".repeat(32));
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("not found").contains("nothing was sent");
        Cli.Run notPost = Cli.runWithStdin(env, "{}", "message", "amend", net.store(net.user(), "x".getBytes(), null));
        assertThat(notPost.code()).isEqualTo(1);
        assertThat(notPost.err()).contains("not a POST");
        Cli.Run noContent = Cli.run(env, "message", "amend", original);
        assertThat(noContent.code()).isEqualTo(2);
        assertThat(net.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void watchPrintsTheAmendsOfAPostAsTheyArrive() throws Exception {
        String original = post("{\"v\": 1}", "--type", "doc");
        String unrelated = post("{\"other\": true}", "--type", "doc");
        String first = json(Cli.runWithStdin(env, "{\"v\": 2}", "message", "amend", original, "--json")).path("item_hash").asText();

        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        // its own thread, as in a real process: the websocket's completion stages may need the common pool
        CompletableFuture<Integer> watch = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> watch.complete(AlephCli.run(
                new String[]{"message", "watch", original, "--from-start", "--count", "2", "--duration", "60", "--debug"},
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8), new java.io.PrintStream(err, true, StandardCharsets.UTF_8), env)));
        // the replayed amend shows the stream is connected; the next one arrives live
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> out.toString(StandardCharsets.UTF_8).contains(first) || watch.isDone());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("watch printed nothing: " + err.toString(StandardCharsets.UTF_8) + " / " + out.toString(StandardCharsets.UTF_8), e);
        }
        assertThat(watch.isDone()).as(err.toString(StandardCharsets.UTF_8) + out.toString(StandardCharsets.UTF_8)).isFalse();
        String second = json(Cli.runWithStdin(env, "{\"v\": 3}", "message", "amend", original, "--json")).path("item_hash").asText();
        int code = watch.get(60, TimeUnit.SECONDS);
        Cli.Run r = new Cli.Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().lines().count()).isEqualTo(2);
        assertThat(r.out()).contains(first).contains(second).doesNotContain(unrelated);
        JsonNode line = Json.MAPPER.readTree(r.out().lines().findFirst().orElseThrow());
        assertThat(line.path("type").asText()).isEqualTo("POST");

        Cli.Run unknown = Cli.run(env, "message", "watch", "cd".repeat(32), "--duration", "1");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("not found");
    }

    @Test
    void signSignsAMessageWithoutSendingIt() throws Exception {
        long before = net.messagesFrom(address);
        String hash = "ab".repeat(32);
        JsonNode signed = json(Cli.run(env, "message", "sign", "--message",
                "{\"chain\": \"ETH\", \"type\": \"POST\", \"item_hash\": \"" + hash + "\"}"));
        assertThat(signed.path("sender").asText()).isEqualTo(address);
        String buffer = Signatures.verificationBuffer(org.aleph4j.message.Chain.ETH, address, MessageType.POST, hash);
        String recovered = SignatureVerifier.best().recover(Signatures.eip191Hash(buffer.getBytes(StandardCharsets.UTF_8)),
                Signatures.parse(signed.path("signature").asText()));
        assertThat(recovered).isEqualToIgnoringCase(address);

        // from a content: a complete message the CCN accepts as it is
        JsonNode built = json(Cli.runWithStdin(env, "{\"type\": \"POST\", \"content\": {\"type\": \"note\", \"content\": {\"a\": 1}}}",
                "message", "sign"));
        assertThat(built.path("item_hash").asText()).hasSize(64);
        assertThat(net.messagesFrom(address)).isEqualTo(before);
        var m = net.client().post(org.aleph4j.client.CcnClient.parseMessage(built), true);
        assertThat(m.processed()).as(String.valueOf(m.body())).isTrue();

        Cli.Run bad = Cli.run(env, "message", "sign", "--message", "not json");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).startsWith("Error: the message isn't valid JSON");
        Cli.Run otherSender = Cli.run(env, "message", "sign", "--message",
                "{\"type\": \"POST\", \"sender\": \"0x" + "1".repeat(40) + "\", \"item_hash\": \"" + hash + "\"}");
        assertThat(otherSender.code()).isEqualTo(1);
        assertThat(otherSender.err()).contains("is not your account");
    }

    @Test
    void upstreamsApiHostVariableWorksAndAleph4jsOwnWinsWhenBothAreSet() throws Exception {
        Map<String, String> upstream = new HashMap<>(env);
        upstream.remove("ALEPH_CCN_URL");
        upstream.put("ALEPH_API_HOST", net.ccnUrl().toString());
        Cli.Run viaApiHost = Cli.run(upstream, "message", "find", "--message-types", "POST", "--json");
        assertThat(viaApiHost.code()).as(viaApiHost.err()).isZero();

        Map<String, String> both = new HashMap<>(env);
        both.put("ALEPH_API_HOST", "http://127.0.0.1:9");
        assertThat(Cli.run(both, "message", "find", "--json").code()).isZero();

        Map<String, String> deadApiHost = new HashMap<>(upstream);
        deadApiHost.put("ALEPH_API_HOST", "http://127.0.0.1:9");
        Cli.Run dead = Cli.run(deadApiHost, "message", "find");
        assertThat(dead.code()).isEqualTo(1);
        assertThat(dead.err()).contains("cannot reach the CCN at http://127.0.0.1:9");
    }

    @Test
    void helpShowsAnExample() {
        for (String cmd : new String[]{"post", "amend", "watch", "sign"}) {
            Cli.Run h = Cli.run(env, "message", cmd, "--help");
            assertThat(h.code()).isZero();
            assertThat(h.out()).contains("Example").contains("aleph message " + cmd);
        }
    }
}
