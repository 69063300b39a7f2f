package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
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
    static TestNetwork net;
    static Map<String, String> env;
    static String address;
    static Path src;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
        env = Cli.env(net, tmp.resolve("home"), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        address = Cli.run(env, "account", "address").out().strip();
        src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("main.py"), "app = None\n");
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Cli.Run expectFailureWithoutMessages(String... args) throws Exception {
        long before = net.messagesFrom(address);
        Cli.Run r = Cli.run(env, args);
        assertThat(r.code()).as("exit code of %s", String.join(" ", args)).isNotZero();
        assertThat(r.err()).startsWith("Error: ");
        assertThat(r.out()).isEmpty();
        assertThat(net.messagesFrom(address)).as("messages stored by the CCN").isEqualTo(before);
        return r;
    }

    @Test
    void uploadWithoutPathOrEntrypointIsAUsageError() throws Exception {
        Cli.Run r = expectFailureWithoutMessages("program", "upload");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required parameter").contains("aleph program upload --help");
    }

    @Test
    void uploadOfAMissingDirectorySaysSo() throws Exception {
        Cli.Run r = expectFailureWithoutMessages("program", "upload", tmp.resolve("nope").toString(), "main:app");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no such file or directory").contains("nope");
    }

    @Test
    void entrypointWithoutModuleOrAttributeIsRejectedBeforeUploading() throws Exception {
        net.fund(address, 10_000);
        for (String bad : new String[]{"main:", ":app"}) {
            Cli.Run r = expectFailureWithoutMessages("program", "upload", src.toString(), bad);
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err()).contains("entrypoint '" + bad + "' must be module:app");
        }
    }

    @Test
    void unknownHashIsReportedAsNotFound() throws Exception {
        String unknown = "ab".repeat(32);
        Cli.Run r = expectFailureWithoutMessages("program", "unpersist", unknown);
        assertThat(r.err()).contains("program " + unknown + " not found on the CCN");
        Cli.Run g = expectFailureWithoutMessages("message", "get", unknown);
        assertThat(g.err()).contains("not found");
        Cli.Run notAHash = expectFailureWithoutMessages("program", "delete", "xyz");
        assertThat(notAHash.code()).isEqualTo(2);
    }

    @Test
    void someoneElsesProgramCannotBeUnpersistedOrDeleted() throws Exception {
        Map<String, String> other = Cli.env(net, tmp.resolve("home-other"), false);
        assertThat(Cli.run(other, "account", "create").code()).isZero();
        String otherAddress = Cli.run(other, "account", "address").out().strip();
        net.fund(otherAddress, 5000);
        Cli.Run up = Cli.run(other, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
        assertThat(up.code()).as(up.err()).isZero();
        String hash = Json.MAPPER.readTree(up.out()).path("item_hash").asText();

        long otherBefore = net.messagesFrom(otherAddress);
        Cli.Run r = expectFailureWithoutMessages("program", "unpersist", hash);
        assertThat(r.err()).contains("belongs to " + otherAddress);
        Cli.Run d = expectFailureWithoutMessages("program", "delete", hash);
        assertThat(d.err()).contains("belongs to " + otherAddress);
        assertThat(net.messagesFrom(otherAddress)).isEqualTo(otherBefore);
        assertThat(net.client().message(hash).orElseThrow().status()).isEqualTo("processed");
    }

    @Test
    void unreachableCcnSaysHowToStartOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> e = new HashMap<>(env);
        e.put("ALEPH_CCN_URL", "http://127.0.0.1:" + port);
        long before = net.messagesFrom(address);
        Cli.Run r = Cli.run(e, "program", "upload", src.toString(), "main:app");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("Error: cannot reach the CCN at http://127.0.0.1:" + port
                + ": connection refused — start a devnet with `bin/aleph-node devnet` or pass --ccn-url");
        assertThat(net.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void insufficientBalancePrintsUpstreamsMessageAndUploadsNothing() throws Exception {
        Map<String, String> poorEnv = Cli.env(net, tmp.resolve("home-poor"), false);
        assertThat(Cli.run(poorEnv, "account", "create").code()).isZero();
        String poor = Cli.run(poorEnv, "account", "address").out().strip();
        net.fund(poor, 100);
        Cli.Run r = Cli.run(poorEnv, "program", "upload", "--persistent", src.toString(), "main:app");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).containsPattern("Error: Program creation failed due to insufficient funds: " + poor
                + " has 100 ALEPH but needs [0-9.]+ ALEPH — on a devnet: bin/aleph-node fund --ccn-url " + net.ccnUrl().toString().replaceAll("/$", "")
                + " --oracle-key ~/.aleph4j/devnet/oracle.key " + poor + "\n");
        assertThat(net.messagesFrom(poor)).isZero();
        JsonNode files = net.client().messagesJson(org.aleph4j.client.MessageQuery.builder().msgTypes("STORE").owners(poor).build());
        assertThat(files.path("messages")).isEmpty();
    }

    @Test
    void anUnknownCommandSuggestsTheNearestOne() throws Exception {
        Cli.Run r = expectFailureWithoutMessages("progam");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("Error: unknown command 'progam'; did you mean 'program'? — see `aleph --help`");
        Cli.Run sub = expectFailureWithoutMessages("program", "uplod", src.toString(), "main:app");
        assertThat(sub.code()).isEqualTo(2);
        assertThat(sub.err()).startsWith("Error: unknown command 'uplod'; did you mean 'upload'?");
    }

    @Test
    void anUnknownOptionSaysUnknownOption() throws Exception {
        Cli.Run r = expectFailureWithoutMessages("program", "upload", src.toString(), "main:app", "--persistant");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("Error: unknown option '--persistant'; did you mean '--persistent'?")
                .endsWith("see `aleph program upload --help`");
        Cli.Run crn = expectFailureWithoutMessages("program", "logs", "ab".repeat(32), "--crn=http://127.0.0.1:4041");
        assertThat(crn.err()).startsWith("Error: unknown option '--crn'");
    }
}
