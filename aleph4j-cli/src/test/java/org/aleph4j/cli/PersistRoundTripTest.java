package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * persist → unpersist → persist against a real CCN: a program that is itself a replacement is
 * followed by a new program (the CCN refuses to replace a replacement), and the old hashes name
 * the program that replaced them.
 */
class PersistRoundTripTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    @Test
    void unpersistThenPersistOfThePrintedHashWorksAndTheOldHashesNameTheirReplacement() throws Exception {
        Path home = tmp.resolve("home");
        Map<String, String> env = Cli.env(net, home, false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        String addr = Cli.run(env, "account", "address").out().strip();
        net.fund(addr, 5000);
        Path src = Files.createDirectories(home.resolve("app"));
        Files.writeString(src.resolve("main.py"), "from fastapi import FastAPI\napp = FastAPI()\n");

        Cli.Run up = Cli.run(env, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
        assertThat(up.code()).as(up.err()).isZero();
        String first = Json.MAPPER.readTree(up.out()).path("item_hash").asText();

        Cli.Run unp = Cli.run(env, "program", "unpersist", first);
        assertThat(unp.code()).as(unp.err()).isZero();
        String second = hashAfter(unp.out(), "New program:");
        assertThat(net.client().message(second).orElseThrow().message().content().path("replaces").asText()).isEqualTo(first);

        // second replaced first: persisting it posts a new program, then forgets second
        Cli.Run per = Cli.run(env, "program", "persist", second, "--json");
        assertThat(per.code()).as(per.out() + per.err()).isZero();
        JsonNode p = Json.MAPPER.readTree(per.out());
        String third = p.path("item_hash").asText();
        assertThat(p.path("status").asText()).isEqualTo("processed");
        assertThat(p.path("previous").asText()).isEqualTo("deleted");
        assertThat(p.path("replaces").isNull()).isTrue();
        assertThat(p.path("previous_program").asText()).isEqualTo(second);
        JsonNode c = net.client().message(third).orElseThrow().message().content();
        assertThat(c.has("replaces") && !c.get("replaces").isNull()).isFalse();
        assertThat(c.path("on").path("persistent").asBoolean()).isTrue();
        assertThat(net.client().message(second).orElseThrow().status()).isEqualTo("forgotten");

        Cli.Run old = Cli.run(env, "program", "status", second);
        assertThat(old.code()).as(old.err()).isZero();
        assertThat(old.out()).contains("Message:   forgotten\n")
                .contains("Replaced by: " + third + " — see `aleph program status " + third + "`");
        Cli.Run oldJson = Cli.run(env, "program", "status", first, "--json");
        assertThat(Json.MAPPER.readTree(oldJson.out()).path("replaced_by").asText()).isEqualTo(second);

        Cli.Run again = Cli.run(env, "program", "unpersist", second);
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err().strip()).endsWith("; it was replaced by " + third + " — use that hash");
    }

    static String hashAfter(String out, String label) {
        var m = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(label) + "\\s+([0-9a-f]{64})").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return m.group(1);
    }
}
