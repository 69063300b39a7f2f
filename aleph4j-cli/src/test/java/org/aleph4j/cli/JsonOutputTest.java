package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.JsonParser;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --json} against a real CCN: one document on stdout, ISO times, amounts as decimal strings,
 * {@code status} for a message's status, and errors as {@code {"error", "error_code", "details"}} on stderr.
 */
class JsonOutputTest {
    static final String ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?Z";
    static final String DECIMAL = "-?\\d+(\\.\\d*[1-9])?";

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
        net.fund(address, new BigDecimal("35219.07552081426"));
        src = Files.createDirectories(tmp.resolve("src"));
        Files.writeString(src.resolve("main.py"), "app = None\n");
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    /** Every JSON document in {@code text}, in order. */
    static List<JsonNode> documents(String text) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        // Not readValues: it would stream the elements of a top-level array as documents.
        try (JsonParser p = Json.MAPPER.getFactory().createParser(text)) {
            while (p.nextToken() != null) docs.add(Json.MAPPER.readTree(p));
        }
        return docs;
    }

    static JsonNode single(String text) throws Exception {
        List<JsonNode> docs = documents(text);
        assertThat(docs).as("JSON documents in:%n%s", text).hasSize(1);
        return docs.get(0);
    }

    @Test
    void uploadWithPrintMessagesPrintsOneDocumentHoldingTheResultAndBothMessages() throws Exception {
        Cli.Run r = Cli.run(env, "program", "upload", src.toString(), "main:app", "--json", "--print-messages");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode doc = single(r.out());
        assertThat(doc.path("item_hash").asText()).hasSize(64);
        assertThat(doc.path("status").asText()).isEqualTo("processed");
        assertThat(doc.has("code_store") && doc.has("encoding") && doc.has("code_size") && doc.has("vm_url") && doc.has("host_url")).isTrue();
        JsonNode messages = doc.path("messages");
        assertThat(messages).hasSize(2);
        assertThat(messages.get(0).path("type").asText()).isEqualTo("STORE");
        assertThat(messages.get(0).path("item_hash").asText()).isEqualTo(doc.path("code_store").asText());
        assertThat(messages.get(1).path("type").asText()).isEqualTo("PROGRAM");
        assertThat(messages.get(1).path("item_hash").asText()).isEqualTo(doc.path("item_hash").asText());
        // Messages are printed as signed: their time stays upstream's float seconds.
        assertThat(messages.get(1).path("time").isNumber()).isTrue();
        assertThat(messages.get(1).path("content").path("time").isNumber()).isTrue();

        Cli.Run code = Cli.run(env, "program", "upload", src.toString(), "main:app", "--json", "--print-code-message");
        assertThat(code.code()).as(code.err()).isZero();
        assertThat(single(code.out()).path("messages")).hasSize(1);

        // Without --json the messages come first, as upstream prints them, then the human text.
        Cli.Run human = Cli.run(env, "program", "upload", src.toString(), "main:app", "--print-program-message");
        assertThat(human.code()).as(human.err()).isZero();
        assertThat(human.out()).startsWith("{").contains("has been uploaded");
    }

    @Test
    void balanceAmountsAreDecimalStrings() throws Exception {
        Cli.Run r = Cli.run(env, "account", "balance", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode b = single(r.out());
        for (String k : new String[]{"balance", "locked_amount", "available", "credit_balance"}) {
            assertThat(b.path(k).isTextual()).as(k + " in " + b).isTrue();
            assertThat(b.path(k).asText()).as(k).matches(DECIMAL);
        }
        assertThat(b.path("balance").asText()).isEqualTo("35219.07552081426");
        assertThat(Cli.run(env, "account", "balance").out()).contains("Balance:   35219.07552081426 ALEPH");
    }

    @Test
    void timesAreIsoAndTheMessageStatusKeyIsStatus() throws Exception {
        Cli.Run up = Cli.run(env, "program", "upload", src.toString(), "main:app", "--json", "--name", "timed");
        assertThat(up.code()).as(up.err()).isZero();
        String hash = single(up.out()).path("item_hash").asText();

        JsonNode list = single(Cli.run(env, "program", "list", "--json").out());
        assertThat(list).isNotEmpty();
        list.forEach(p -> assertThat(p.path("created").asText()).matches(ISO));

        JsonNode get = single(Cli.run(env, "message", "get", hash, "--json").out());
        assertThat(get.path("status").asText()).isEqualTo("processed");
        assertThat(get.path("reception_time").asText()).matches(ISO);
        assertThat(get.path("message").path("time").isNumber()).as("the message is printed as signed").isTrue();

        JsonNode status = single(Cli.run(env, "program", "status", hash, "--json").out());
        assertThat(status.path("status").asText()).isEqualTo("processed");
        assertThat(status.has("message_status")).isFalse();

        JsonNode files = single(Cli.run(env, "file", "list", "--json").out());
        assertThat(files.path("files")).isNotEmpty();
        files.path("files").forEach(f -> assertThat(f.path("created").asText()).matches(ISO));
    }

    @Test
    void aFailureUnderJsonIsOneJsonErrorOnStderrWithTheSameExitCode() throws Exception {
        String unknown = "ab".repeat(32);
        Cli.Run notFound = Cli.run(env, "message", "get", unknown, "--json");
        assertThat(notFound.code()).isEqualTo(1);
        assertThat(notFound.out()).isEmpty();
        JsonNode e = single(notFound.err());
        assertThat(e.path("error").asText()).contains("not found on the CCN");
        assertThat(e.path("error_code").asInt()).isEqualTo(1);
        assertThat(e.path("details").isObject()).isTrue();

        Cli.Run usage = Cli.run(env, "program", "delete", "xyz", "--json");
        assertThat(usage.code()).isEqualTo(2);
        JsonNode u = single(usage.err());
        assertThat(u.path("error").asText()).contains("not a valid program hash");
        assertThat(u.path("error_code").asInt()).isEqualTo(2);
        assertThat(u.path("details").path("help").asText()).isEqualTo("aleph program delete --help");

        Cli.Run option = Cli.run(env, "account", "balance", "--frob", "--json");
        assertThat(option.code()).isEqualTo(2);
        assertThat(single(option.err()).path("error").asText()).startsWith("unknown option '--frob'");

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> down = new HashMap<>(env);
        down.put("ALEPH_CCN_URL", "http://127.0.0.1:" + port);
        Cli.Run unreachable = Cli.run(down, "account", "balance", "--json");
        assertThat(unreachable.code()).isEqualTo(1);
        JsonNode d = single(unreachable.err());
        assertThat(d.path("error").asText()).startsWith("cannot reach the CCN at http://127.0.0.1:" + port);
        assertThat(d.path("details").path("http_status").asInt()).isZero();
        assertThat(d.path("details").path("url").asText()).startsWith("http://127.0.0.1:" + port);
    }

    @Test
    void insufficientFundsUnderJsonCarriesUpstreamsCodeAndTheAmountsAsStrings() throws Exception {
        Map<String, String> poorEnv = Cli.env(net, tmp.resolve("home-poor"), false);
        assertThat(Cli.run(poorEnv, "account", "create").code()).isZero();
        String poor = Cli.run(poorEnv, "account", "address").out().strip();
        net.fund(poor, new BigDecimal("100.5"));
        Cli.Run r = Cli.run(poorEnv, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        JsonNode e = single(r.err());
        assertThat(e.path("error").asText()).startsWith("Program creation failed due to insufficient funds: ");
        assertThat(e.path("error_code").asInt()).isEqualTo(CliException.INSUFFICIENT_BALANCE);
        assertThat(e.path("details").path("address").asText()).isEqualTo(poor);
        assertThat(e.path("details").path("available").asText()).isEqualTo("100.5");
        assertThat(e.path("details").path("required").isTextual()).isTrue();
        assertThat(e.path("details").path("required").asText()).matches(DECIMAL);
        // the scheduler-check warning of the --persistent upload is in the error's details, not loose on stderr
        assertThat(e.path("details").path("warnings").toString()).contains("cannot reach the scheduler");
        assertThat(net.messagesFrom(poor)).isZero();
    }
}
