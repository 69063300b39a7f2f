package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code aleph aggregate post|get|list|forget} against a real CCN. */
class AggregateCommandsTest {
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
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static JsonNode json(Cli.Run r) throws Exception {
        assertThat(r.code()).as(r.err()).isZero();
        return Json.MAPPER.readTree(r.out());
    }

    @Test
    void postMergesContentIntoTheKeyAndGetAndListReadItBack() throws Exception {
        JsonNode posted = json(Cli.run(env, "aggregate", "post", "profile", "{\"name\": \"alice\", \"age\": 30}", "--json"));
        assertThat(posted.path("status").asText()).isEqualTo("processed");
        var rec = net.client().message(posted.path("item_hash").asText()).orElseThrow();
        assertThat(rec.message().type()).isEqualTo(MessageType.AGGREGATE);
        assertThat(rec.message().sender()).isEqualTo(address);
        assertThat(rec.message().content().path("key").asText()).isEqualTo("profile");
        assertThat(rec.message().content().path("content").path("name").asText()).isEqualTo("alice");

        Cli.Run sub = Cli.run(env, "aggregate", "post", "profile", "bob", "--subkey", "name");
        assertThat(sub.code()).as(sub.err()).isZero();
        assertThat(sub.out()).contains("Aggregate `profile ➜ name` has been created/updated").contains("processed");

        JsonNode got = json(Cli.run(env, "aggregate", "get", "profile"));
        assertThat(got.path("name").asText()).isEqualTo("bob");
        assertThat(got.path("age").asInt()).isEqualTo(30);
        JsonNode only = json(Cli.run(env, "aggregate", "get", "profile", "--subkeys", "age"));
        assertThat(only.size()).isEqualTo(1);
        assertThat(only.path("age").asInt()).isEqualTo(30);
        // anyone may read an address's aggregate
        assertThat(json(Cli.run(otherEnv, "aggregate", "get", "profile", "--address", address)).path("name").asText()).isEqualTo("bob");

        JsonNode all = json(Cli.run(env, "aggregate", "list", "--json"));
        assertThat(all.path("profile").path("name").asText()).isEqualTo("bob");
        Cli.Run text = Cli.run(env, "aggregate", "list");
        assertThat(text.code()).as(text.err()).isZero();
        assertThat(text.out()).contains("Address: " + address).contains("Keys:").contains("profile: ");
    }

    @Test
    void forgetSetsEveryKnownSubkeyToNullAsUpstreamDoesAndSubkeysOnlyThose() throws Exception {
        assertThat(Cli.run(env, "aggregate", "post", "settings", "{\"theme\": \"dark\", \"lang\": \"fr\", \"tz\": \"UTC\"}").code()).isZero();

        JsonNode one = json(Cli.run(env, "aggregate", "forget", "settings", "--subkeys", "tz", "--json"));
        JsonNode content = net.client().message(one.path("item_hash").asText()).orElseThrow().message().content().path("content");
        assertThat(content.size()).isEqualTo(1);
        assertThat(content.get("tz").isNull()).isTrue();
        assertThat(json(Cli.run(env, "aggregate", "get", "settings")).path("theme").asText()).isEqualTo("dark");

        Cli.Run all = Cli.run(env, "aggregate", "forget", "settings");
        assertThat(all.code()).as(all.err()).isZero();
        assertThat(all.out()).contains("Aggregate `settings` has been deleted");
        JsonNode after = net.client().aggregate(address, "settings").orElseThrow().path("settings");
        assertThat(after.path("theme").isNull()).isTrue();
        assertThat(after.path("lang").isNull()).isTrue();
    }

    @Test
    void badInputIsRefusedWithOneLineAndNothingIsSent() throws Exception {
        long before = net.messagesFrom(address);
        Cli.Run notJson = Cli.run(env, "aggregate", "post", "k", "{not json");
        assertThat(notJson.code()).isEqualTo(2);
        assertThat(notJson.err()).startsWith("Error: CONTENT must be a JSON object");
        assertThat(notJson.err().strip()).doesNotContain("\n");

        Cli.Run security = Cli.run(env, "aggregate", "post", "security", "{\"authorizations\": []}");
        assertThat(security.code()).isEqualTo(1);
        assertThat(security.err()).contains("`security` aggregate").contains("protected");

        Cli.Run forgetUnknown = Cli.run(env, "aggregate", "forget", "never-posted");
        assertThat(forgetUnknown.code()).isEqualTo(1);
        assertThat(forgetUnknown.err()).contains("aggregate `never-posted` not found").contains("nothing was sent");

        Cli.Run delegated = Cli.run(env, "aggregate", "post", "k", "{\"a\": 1}", "--address", otherAddress);
        assertThat(delegated.code()).isEqualTo(1);
        assertThat(delegated.err()).contains("is not authorized to send AGGREGATE messages for it");

        Cli.Run missing = Cli.run(env, "aggregate", "get", "nothing-here");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("Error: no aggregate `nothing-here`");
        assertThat(net.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void postForAnAddressThatAuthorizedYouIsOwnedByThatAddress() throws Exception {
        var owner = TestNetwork.newAccount();
        com.fasterxml.jackson.databind.node.ObjectNode security = Json.MAPPER.createObjectNode();
        security.putArray("authorizations").addObject().put("address", address);
        net.publish(owner, MessageType.AGGREGATE, new AggregateContent(owner.address(), TestNetwork.now(),
                Json.MAPPER.getNodeFactory().textNode("security"), security));

        JsonNode posted = json(Cli.run(env, "aggregate", "post", "shared", "{\"x\": 1}", "--address", owner.address(), "--json"));
        assertThat(posted.path("status").asText()).isEqualTo("processed");
        assertThat(net.client().aggregate(owner.address(), "shared").orElseThrow().path("shared").path("x").asInt()).isEqualTo(1);
    }

    @Test
    void helpShowsAnExample() {
        for (String cmd : new String[]{"post", "get", "list", "forget"}) {
            Cli.Run h = Cli.run(env, "aggregate", cmd, "--help");
            assertThat(h.code()).isZero();
            assertThat(h.out()).contains("Example").contains("aleph aggregate " + cmd);
        }
    }
}
