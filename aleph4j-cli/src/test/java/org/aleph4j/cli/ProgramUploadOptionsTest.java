package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Upstream's {@code program upload} options and {@code program runtime-checker}, against a real CCN. */
class ProgramUploadOptionsTest {
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
        net.fund(address, 10_000);
        src = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(src.resolve("main.py"), "app = None\n");
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Cli.Run upload(String... extra) {
        String[] args = new String[4 + extra.length];
        args[0] = "program";
        args[1] = "upload";
        args[2] = src.toString();
        args[3] = "main:app";
        System.arraycopy(extra, 0, args, 4, extra.length);
        return Cli.run(env, args);
    }

    @Test
    void upstreamsCompatibilityOptionsAreAcceptedAndDebugLogsTheSteps() throws Exception {
        Cli.Run r = upload("--skip-volume", "--skip-env-var", "--payment-chain", "ETH", "--verbose", "--debug", "--name", "compat");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("has been uploaded.");
        assertThat(r.err()).contains("debug: code STORE").contains("debug: PROGRAM post: HTTP");
        String hash = r.out().replaceAll("(?s).*Your program ([0-9a-f]{64}).*", "$1");
        var rec = net.client().message(hash).orElseThrow();
        assertThat(rec.status()).isEqualTo("processed");
        assertThat(rec.message().content().path("payment").path("chain").asText()).isEqualTo("ETH");

        Cli.Run quiet = upload("--no-verbose", "--no-skip-env-var", "--name", "quiet");
        assertThat(quiet.code()).as(quiet.err()).isZero();
        assertThat(quiet.out().strip()).matches("[0-9a-f]{64}");
        assertThat(quiet.err()).doesNotContain("debug:");
    }

    @Test
    void anotherPaymentChainOrAnUnauthorizedAddressIsRefusedAndNothingIsSent() throws Exception {
        long before = net.messagesFrom(address);
        Cli.Run sol = upload("--payment-chain", "SOL");
        assertThat(sol.code()).isEqualTo(2);
        assertThat(sol.err().strip()).isEqualTo("Error: --payment-chain SOL: only ETH is supported on this network (hold payment on ETH)");

        String stranger = TestNetwork.newAccount().address();
        Cli.Run notMine = upload("--address", stranger);
        assertThat(notMine.code()).isEqualTo(1);
        assertThat(notMine.err()).contains("--address " + stranger + ": your account " + address + " is not authorized");
        assertThat(notMine.err().strip()).doesNotContain("\n");

        Cli.Run bad = upload("--address", "alice");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("is not an Ethereum address");
        assertThat(net.messagesFrom(address)).isEqualTo(before);
    }

    @Test
    void addressCreatesTheProgramForAnAddressThatAuthorizedYou() throws Exception {
        EthAccount owner = TestNetwork.newAccount();
        net.fund(owner.address(), 10_000);
        ObjectNode security = Json.MAPPER.createObjectNode();
        security.putArray("authorizations").addObject().put("address", address);
        net.publish(owner, MessageType.AGGREGATE, new AggregateContent(owner.address(), TestNetwork.now(),
                Json.MAPPER.getNodeFactory().textNode("security"), security));

        Cli.Run r = upload("--address", owner.address(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode res = Json.MAPPER.readTree(r.out());
        var program = net.client().message(res.path("item_hash").asText()).orElseThrow();
        assertThat(program.status()).isEqualTo("processed");
        assertThat(program.message().sender()).isEqualTo(address);
        assertThat(program.message().content().path("address").asText()).isEqualTo(owner.address());
        var store = net.client().message(res.path("code_store").asText()).orElseThrow();
        assertThat(store.message().content().path("address").asText()).isEqualTo(owner.address());
    }

    @Test
    void runtimeCheckerDeletesItsProgramEvenWhenTheCrnCannotBeReached() throws Exception {
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        Cli.Run r = Cli.run(env, "program", "runtime-checker", "--crn-url", "http://127.0.0.1:" + deadPort,
                "--call-timeout", "5", "--timeout", "5", "--debug");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("cannot reach the CRN at http://127.0.0.1:" + deadPort);

        // the CLI said which program it called; read it back from the CCN
        String hash = r.err().replaceAll("(?s).*/vm/([0-9a-f]{64}).*", "$1");
        assertThat(hash).matches("[0-9a-f]{64}");
        assertThat(r.err()).contains("Uploading the runtime checker for runtime " + DefaultRuntime.ref());
        var rec = net.client().message(hash).orElseThrow();
        assertThat(rec.status()).isEqualTo("forgotten");
        String code = r.err().replaceAll("(?s).*code STORE ([0-9a-f]{64}).*", "$1");
        assertThat(code).matches("[0-9a-f]{64}");
        assertThat(net.client().message(code).orElseThrow().status()).isEqualTo("forgotten");
    }

    @Test
    void runtimeCheckerRefusesAnUnknownRuntimeAndSendsNothing() throws Exception {
        long before = net.messagesFrom(address);
        Cli.Run r = Cli.run(env, "program", "runtime-checker", "ef".repeat(32));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("runtime " + "ef".repeat(32) + " not found").contains("nothing was sent");
        Cli.Run bad = Cli.run(env, "program", "runtime-checker", "xyz");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(net.messagesFrom(address)).isEqualTo(before);

        Cli.Run help = Cli.run(env, "program", "runtime-checker", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Example").contains("aleph program runtime-checker");
    }

    @Test
    void theBundledCheckProgramReportsVersionsAsJson() throws Exception {
        // The program itself, run by the local python3: the same report the CRN would serve.
        Path py = tmp.resolve("check.py");
        try (var in = getClass().getResourceAsStream("/org/aleph4j/cli/program/runtime-checker/main.py")) {
            Files.copy(in, py);
        }
        Process p = new ProcessBuilder("python3", py.toString()).redirectErrorStream(true).start();
        try {
            assertThat(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            JsonNode v = Json.MAPPER.readTree(p.getInputStream().readAllBytes());
            assertThat(v.path("python").asText()).matches("3\\.\\d+.*");
            assertThat(v.has("fastapi") && v.has("uvicorn") && v.has("aiohttp") && v.has("pip") && v.has("os")).isTrue();
        } finally {
            p.destroyForcibly();
        }
    }
}
