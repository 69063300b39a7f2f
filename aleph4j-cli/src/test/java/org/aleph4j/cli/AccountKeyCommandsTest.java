package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code aleph account export-private-key|sign-bytes|config}: local key operations, no node needed. */
class AccountKeyCommandsTest {
    @TempDir
    Path tmp;

    private Map<String, String> env(Path home) {
        Map<String, String> env = new HashMap<>();
        env.put("ALEPH_HOME", home.toString());
        env.put("ALEPH_CCN_URL", "http://127.0.0.1:9"); // nothing listens: these commands must not need a node
        env.put("HOME", home.toString());
        return env;
    }

    private static String recover(String text, String sig) {
        return SignatureVerifier.best().recover(Signatures.eip191Hash(text.getBytes(StandardCharsets.UTF_8)), Signatures.parse(sig));
    }

    @Test
    void exportPrivateKeyPrintsTheKeyOfTheCurrentAccount() throws Exception {
        Map<String, String> env = env(tmp.resolve("home"));
        String hex = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
        assertThat(Cli.run(env, "account", "create", "--private-key", hex).code()).isZero();
        Cli.Run r = Cli.run(env, "account", "export-private-key");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("EVM: 0x" + hex);
        JsonNode j = Json.MAPPER.readTree(Cli.run(env, "account", "export-private-key", "--json").out());
        assertThat(j.path("private_key").asText()).isEqualTo("0x" + hex);
        assertThat(j.path("address").asText()).isEqualTo(EthAccount.fromHex(hex).address());

        Cli.Run none = Cli.run(env(tmp.resolve("empty")), "account", "export-private-key");
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).startsWith("Error: ");
    }

    @Test
    void signBytesSignsTheMessageOrStdinWithEip191() throws Exception {
        Map<String, String> env = env(tmp.resolve("home"));
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        String address = Cli.run(env, "account", "address").out().strip();

        Cli.Run r = Cli.run(env, "account", "sign-bytes", "--message", "hello aleph");
        assertThat(r.code()).as(r.err()).isZero();
        String sig = r.out().strip().replace("Signature: ", "");
        assertThat(sig).matches("0x[0-9a-f]{130}");
        assertThat(recover("hello aleph", sig)).isEqualToIgnoringCase(address);

        JsonNode j = Json.MAPPER.readTree(Cli.runWithStdin(env, "from stdin", "account", "sign-bytes", "--json").out());
        assertThat(recover("from stdin", j.path("signature").asText())).isEqualToIgnoringCase(address);

        Cli.Run empty = Cli.run(env, "account", "sign-bytes");
        assertThat(empty.code()).isEqualTo(2);
        assertThat(empty.err()).contains("nothing to sign");
        Cli.Run sol = Cli.run(env, "account", "sign-bytes", "--message", "x", "--chain", "SOL");
        assertThat(sol.code()).isEqualTo(2);
        assertThat(sol.err()).contains("--chain SOL: only ETH is supported");
    }

    @Test
    void configShowsAndSetsTheDefaultKeyFileAndChain() throws Exception {
        Path home = tmp.resolve("home");
        Map<String, String> env = env(home);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        assertThat(Cli.run(env, "account", "create", "--private-key-file", home.resolve("private-keys/work.key").toString()).code()).isZero();
        String work = Cli.run(env, "account", "address", "--private-key-file", home.resolve("private-keys/work.key").toString()).out().strip();

        Cli.Run show = Cli.run(env, "account", "config");
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains("Key file:    " + home.resolve("private-keys/ethereum.key")).contains("Chain:       ETH");

        // as upstream: a bare name is a key of <home>/private-keys, .key added
        Cli.Run set = Cli.run(env, "account", "config", "--private-key-file", "work", "--chain", "ETH");
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.out()).contains("Private key " + home.resolve("private-keys/work.key") + " on chain ETH is now your default configuration.");
        JsonNode config = Json.MAPPER.readTree(Files.readString(home.resolve("config.json")));
        assertThat(config.path("path").asText()).isEqualTo(home.resolve("private-keys/work.key").toString());
        assertThat(config.path("chain").asText()).isEqualTo("ETH");
        assertThat(Cli.run(env, "account", "address").out().strip()).isEqualTo(work);

        String before = Files.readString(home.resolve("config.json"));
        Cli.Run missing = Cli.run(env, "account", "config", "--private-key-file", "nope");
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).contains("private key file not found: " + home.resolve("private-keys/nope.key"));
        Cli.Run sol = Cli.run(env, "account", "config", "--chain", "SOL");
        assertThat(sol.code()).isEqualTo(2);
        assertThat(sol.err()).contains("only ETH is supported");
        Cli.Run ledger = Cli.run(env, "account", "config", "--account-type", "hardware");
        assertThat(ledger.code()).isEqualTo(2);
        assertThat(ledger.err()).contains("only `imported`");
        assertThat(Files.readString(home.resolve("config.json"))).isEqualTo(before);
    }

    @Test
    void helpShowsAnExample() {
        for (String cmd : new String[]{"export-private-key", "sign-bytes", "config"}) {
            Cli.Run h = Cli.run(env(tmp.resolve("h")), "account", cmd, "--help");
            assertThat(h.code()).isZero();
            assertThat(h.out()).contains("Example").contains("aleph account " + cmd);
        }
    }
}
