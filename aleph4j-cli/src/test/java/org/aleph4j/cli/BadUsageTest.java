package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad usage prints one clear line on stderr, exits non-zero and leaves nothing on the CCN. */
class BadUsageTest {
    @TempDir
    static Path tmp;
    static Devnet devnet;
    static Map<String, String> env;
    static String address;
    static Path src;

    @BeforeAll
    static void start() throws Exception {
        devnet = new Devnet(tmp.resolve("ccn"));
        env = devnet.env(tmp.resolve("home"), false);
        assertThat(Devnet.run(env, "account", "create").code()).isZero();
        address = Devnet.run(env, "account", "address").out().strip();
        src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("main.py"), "app = None\n");
    }

    @AfterAll
    static void stop() {
        if (devnet != null) devnet.close();
    }

    private static Devnet.Run expectFailureWithoutMessages(String... args) throws Exception {
        long before = devnet.messagesFrom(address);
        Devnet.Run r = Devnet.run(env, args);
        assertThat(r.code()).as("exit code of %s", String.join(" ", args)).isNotZero();
        assertThat(r.err()).startsWith("Error: ");
        assertThat(r.out()).isEmpty();
        assertThat(devnet.messagesFrom(address)).as("messages stored by the CCN").isEqualTo(before);
        return r;
    }

    @Test
    void uploadWithoutPathOrEntrypointIsAUsageError() throws Exception {
        Devnet.Run r = expectFailureWithoutMessages("program", "upload");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required parameter").contains("aleph program upload --help");
    }

    @Test
    void uploadOfAMissingDirectorySaysSo() throws Exception {
        Devnet.Run r = expectFailureWithoutMessages("program", "upload", tmp.resolve("nope").toString(), "main:app");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no such file or directory").contains("nope");
    }

    @Test
    void entrypointWithoutModuleOrAttributeIsRejectedBeforeUploading() throws Exception {
        devnet.fund(address, 10_000);
        for (String bad : new String[]{"main:", ":app"}) {
            Devnet.Run r = expectFailureWithoutMessages("program", "upload", src.toString(), bad);
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("entrypoint '" + bad + "' must be module:app");
        }
    }

    @Test
    void unknownHashIsReportedAsNotFound() throws Exception {
        String unknown = "ab".repeat(32);
        Devnet.Run r = expectFailureWithoutMessages("program", "unpersist", unknown);
        assertThat(r.err()).contains("program " + unknown + " not found on the CCN");
        Devnet.Run g = expectFailureWithoutMessages("message", "get", unknown);
        assertThat(g.err()).contains("not found");
        Devnet.Run notAHash = expectFailureWithoutMessages("program", "delete", "xyz");
        assertThat(notAHash.code()).isEqualTo(2);
    }

    @Test
    void someoneElsesProgramCannotBeUnpersistedOrDeleted() throws Exception {
        Map<String, String> other = devnet.env(tmp.resolve("home-other"), false);
        assertThat(Devnet.run(other, "account", "create").code()).isZero();
        String otherAddress = Devnet.run(other, "account", "address").out().strip();
        devnet.fund(otherAddress, 5000);
        Devnet.Run up = Devnet.run(other, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
        assertThat(up.code()).as(up.err()).isZero();
        String hash = Json.MAPPER.readTree(up.out()).path("item_hash").asText();

        long otherBefore = devnet.messagesFrom(otherAddress);
        Devnet.Run r = expectFailureWithoutMessages("program", "unpersist", hash);
        assertThat(r.err()).contains("belongs to " + otherAddress);
        Devnet.Run d = expectFailureWithoutMessages("program", "delete", hash);
        assertThat(d.err()).contains("belongs to " + otherAddress);
        assertThat(devnet.messagesFrom(otherAddress)).isEqualTo(otherBefore);
        assertThat(devnet.ccn.message(hash).orElseThrow().status()).isEqualTo("processed");
    }

    @Test
    void unreachableCcnSaysHowToStartOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> e = new HashMap<>(env);
        e.put("ALEPH_CCN_URL", "http://127.0.0.1:" + port);
        long before = devnet.messagesFrom(address);
        Devnet.Run r = Devnet.run(e, "program", "upload", src.toString(), "main:app");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("Error: cannot reach the CCN at http://127.0.0.1:" + port
                + ": connection refused — start a devnet with `bin/aleph-node devnet` or pass --ccn-url");
        assertThat(devnet.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void insufficientBalancePrintsUpstreamsMessageAndUploadsNothing() throws Exception {
        Map<String, String> poorEnv = devnet.env(tmp.resolve("home-poor"), false);
        assertThat(Devnet.run(poorEnv, "account", "create").code()).isZero();
        String poor = Devnet.run(poorEnv, "account", "address").out().strip();
        devnet.fund(poor, 100);
        Devnet.Run r = Devnet.run(poorEnv, "program", "upload", "--persistent", src.toString(), "main:app");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Program creation failed due to insufficient funds.\n" + poor + " has 100 ALEPH but needs ")
                .containsPattern("needs [0-9.]+ ALEPH\\.");
        assertThat(devnet.messagesFrom(poor)).isZero();
        JsonNode files = devnet.ccn.messagesJson(org.aleph4j.client.MessageQuery.builder().msgTypes("STORE").owners(poor).build());
        assertThat(files.path("messages")).isEmpty();
    }
}
