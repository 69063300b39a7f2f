package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code aleph} launcher's output as a script reads it, on a devnet of one CRN: every {@code --json}
 * run prints one JSON document on stdout (times ISO 8601, amounts decimal strings, {@code status}), and
 * a failure under {@code --json} prints {@code {"error", "error_code", "details"}} on stderr with the
 * usual exit code.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliOutputTest {
    static final String ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?Z";
    static final String DECIMAL = "-?\\d+(\\.\\d*[1-9])?";
    static final ObjectMapper JSON = new ObjectMapper();

    Path tmp;
    NodeProcess devnet;
    Cli cli;
    Path src;

    @BeforeAll
    void startDevnet(@TempDir Path dir) throws Exception {
        tmp = dir;
        int base = Http.freePorts(3);
        Map<String, String> env = Map.of("ALEPH_HOME", tmp.resolve("aleph-home").toString(), "ALEPH_CCN_URL", "http://127.0.0.1:" + base,
                "ALEPH_SCHEDULER_URL", "http://127.0.0.1:" + (base + 1), "ALEPH_CRN_URL", "http://127.0.0.1:" + (base + 2));
        devnet = NodeProcess.start("devnet", tmp.resolve("devnet.log"), env, "aleph-node", "devnet", "--data",
                tmp.resolve("devnet").toString(), "--crns", "1", "--ccn-port", String.valueOf(base),
                "--scheduler-port", String.valueOf(base + 1), "--crn-port", String.valueOf(base + 2));
        devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
        cli = new Cli(Files.createDirectories(tmp.resolve("work")), env);
        src = Files.createDirectories(tmp.resolve("work/app"));
        Files.writeString(src.resolve("main.py"), "from fastapi import FastAPI\n\napp = FastAPI()\n");
    }

    @AfterAll
    void stopDevnet() {
        if (devnet != null) devnet.close();
    }

    /** The one JSON document {@code text} holds (fails on none, several, or anything else around it). */
    static JsonNode single(String text) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (JsonParser p = JSON.getFactory().createParser(text)) {
            while (p.nextToken() != null) docs.add(JSON.readTree(p));
        }
        assertThat(docs).as("JSON documents in:%n%s", text).hasSize(1);
        return docs.get(0);
    }

    /** stderr without the JVM's own warning lines. */
    static String errors(Cli.Result r) {
        return r.err().lines().filter(l -> !l.startsWith("WARNING:")).collect(Collectors.joining("\n"));
    }

    @Test
    void jsonOutputIsOneDocumentWithIsoTimesDecimalAmountsAndStatus() throws Exception {
        Cli.Result balance = cli.runArgs("account", "balance", "--json");
        assertThat(balance.exit()).as(balance.toString()).isZero();
        JsonNode b = single(balance.out());
        assertThat(b.path("balance").isTextual()).as(b.toString()).isTrue();
        assertThat(b.path("balance").asText()).matches(DECIMAL);
        assertThat(b.path("available").asText()).matches(DECIMAL);

        Cli.Result upload = cli.runArgs("program", "upload", src.toString(), "main:app", "--json", "--print-messages");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        JsonNode up = single(upload.out());
        String hash = up.path("item_hash").asText();
        assertThat(hash).hasSize(64);
        assertThat(up.path("status").asText()).isEqualTo("processed");
        assertThat(up.path("messages")).hasSize(2);
        assertThat(up.path("messages").get(1).path("item_hash").asText()).isEqualTo(hash);

        JsonNode list = single(cli.runArgs("program", "list", "--json").out());
        assertThat(list.isArray()).isTrue();
        assertThat(list).anySatisfy(p -> {
            assertThat(p.path("item_hash").asText()).isEqualTo(hash);
            assertThat(p.path("created").asText()).matches(ISO);
        });

        JsonNode message = single(cli.runArgs("message", "get", hash, "--json").out());
        assertThat(message.path("status").asText()).isEqualTo("processed");
        assertThat(message.path("reception_time").asText()).matches(ISO);

        JsonNode status = single(cli.runArgs("program", "status", hash, "--json").out());
        assertThat(status.path("status").asText()).isEqualTo("processed");
    }

    @Test
    void failuresUnderJsonAreOneJsonErrorOnStderr() throws Exception {
        String unknown = "ab".repeat(32);
        Cli.Result notFound = cli.runArgs("message", "get", unknown, "--json");
        assertThat(notFound.exit()).as(notFound.toString()).isEqualTo(1);
        assertThat(notFound.out()).isEmpty();
        JsonNode e = single(errors(notFound));
        assertThat(e.path("error").asText()).contains("not found");
        assertThat(e.path("error_code").asInt()).isEqualTo(1);
        assertThat(e.path("details").isObject()).isTrue();

        Cli.Result usage = cli.runArgs("program", "upload", "--json");
        assertThat(usage.exit()).isEqualTo(2);
        JsonNode u = single(errors(usage));
        assertThat(u.path("error_code").asInt()).isEqualTo(2);
        assertThat(u.path("details").path("help").asText()).isEqualTo("aleph program upload --help");

        Path poorKey = tmp.resolve("work/poor.key");
        assertThat(cli.runArgs("account", "create", "--private-key-file", poorKey.toString()).exit()).isZero();
        Cli.Result poor = cli.runArgs("program", "upload", "--persistent", src.toString(), "main:app", "--json",
                "--private-key-file", poorKey.toString());
        assertThat(poor.exit()).as(poor.toString()).isEqualTo(1);
        JsonNode f = single(errors(poor));
        assertThat(f.path("error").asText()).startsWith("Program creation failed due to insufficient funds: ").contains("bin/aleph-node fund --ccn-url ");
        assertThat(f.path("error_code").asInt()).isEqualTo(5);
        assertThat(f.path("details").path("available").asText()).isEqualTo("0");
        assertThat(f.path("details").path("required").asText()).matches(DECIMAL);

        Cli.Result typo = cli.runArgs("progam", "list");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(errors(typo)).isEqualTo("Error: unknown command 'progam'; did you mean 'program'? — see `aleph --help`");
    }
}
