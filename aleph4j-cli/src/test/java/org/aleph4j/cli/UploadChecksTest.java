package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.cli.program.CodeArchive;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code aleph program upload} refuses before anything is signed or sent, against a real CCN:
 * each refusal exits non-zero with one line on stderr, posts nothing and holds no funds.
 */
class UploadChecksTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;
    static Map<String, String> env;
    static String address;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
        env = Cli.env(net, tmp.resolve("home"), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        address = Cli.run(env, "account", "address").out().strip();
        net.fund(address, 1_000_000);
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Path app(String name, Map<String, String> files) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (var f : files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        return dir;
    }

    private static final String MAIN = "async def app(scope, receive, send):\n    pass\n";

    /** Runs an upload that must be refused; asserts one line on stderr, nothing posted, nothing held. */
    private static String refused(int code, Map<String, String> e, String... args) throws Exception {
        long before = net.messagesFrom(address);
        BigDecimal locked = net.client().balance(address).lockedAmount();
        String[] all = new String[args.length + 2];
        all[0] = "program";
        all[1] = "upload";
        System.arraycopy(args, 0, all, 2, args.length);
        Cli.Run r = Cli.run(e, all);
        assertThat(r.code()).as(r.err()).isEqualTo(code);
        assertThat(r.out()).isEmpty();
        String line = r.err().strip();
        assertThat(line).startsWith("Error: ").doesNotContain("\n");
        assertThat(net.messagesFrom(address)).isEqualTo(before);
        assertThat(net.client().balance(address).lockedAmount()).isEqualByComparingTo(locked);
        return line;
    }

    @Test
    void anAsgiEntrypointWhoseModuleIsNotInTheCodeIsRefused() throws Exception {
        Path src = app("no-module", Map.of("main.py", MAIN));
        assertThat(refused(2, env, src.toString(), "app:app")).isEqualTo("Error: entrypoint app:app: no module 'app' in " + src
                + " (looked for app.py and app/__init__.py) — pass the module that defines your app, e.g. main:app for main.py");
        // Dotted modules are directories; a package's __init__.py counts.
        Path pkg = app("dotted", Map.of("web/api/__init__.py", MAIN, "web/__init__.py", ""));
        assertThat(refused(2, env, pkg.toString(), "web.server:app")).contains("no module 'web.server'")
                .contains("looked for web/server.py and web/server/__init__.py");
    }

    @Test
    void aBinaryEntrypointThatIsNotAFileOfTheCodeIsRefused() throws Exception {
        Path src = app("no-binary", Map.of("main.py", MAIN));
        assertThat(refused(2, env, src.toString(), "run.sh")).isEqualTo("Error: entrypoint run.sh: no such file in " + src
                + " — pass the program's executable relative to the code (e.g. run.sh), or module:app for a Python app");
        assertThat(refused(2, env, src.toString(), "/bin/sh")).isEqualTo(
                "Error: entrypoint /bin/sh must be a path inside your code, relative to it (e.g. run.sh)");
    }

    @Test
    void anEmptyDirectoryIsRefused() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty/sub"));
        assertThat(refused(2, env, empty.getParent().toString(), "main:app"))
                .isEqualTo("Error: " + empty.getParent() + " is empty — pass the directory that holds your code");
    }

    @Test
    void aSyntaxErrorInThePythonSourcesIsRefusedWithItsFileAndLine() throws Exception {
        Path src = app("syntax", Map.of("main.py", MAIN, "lib/util.py", "def f(:\n    pass\n"));
        String line = refused(1, env, src.toString(), "main:app");
        assertThat(line).startsWith("Error: syntax error in " + src + "/lib/util.py:1: ").endsWith(" — fix it and upload again");
    }

    @Test
    void aZipWithoutTheEntrypointIsRefused() throws Exception {
        Path zip = tmp.resolve("code.zip");
        Files.write(zip, TestNetwork.zip(Map.of("main.py", MAIN)));
        assertThat(refused(2, env, zip.toString(), "server:app")).contains("no module 'server' in " + zip);
        assertThat(refused(2, env, zip.toString(), "run.sh")).contains("entrypoint run.sh: no such file in " + zip);
    }

    @Test
    void resourcesBeyondTheCcnsLimitsShowTheCcnsValidationErrorAsTheError() throws Exception {
        Path src = app("big-cpu", Map.of("main.py", MAIN));
        String line = refused(1, env, src.toString(), "main:app", "--vcpus", "300");
        assertThat(line).startsWith("Error: the CCN refuses this program: ").contains("resources.vcpus")
                .endsWith(" — change the option it names and upload again");
    }

    @Test
    void anUnreachableSchedulerIsAWarningAndTheUploadGoesOn() throws Exception {
        Path src = app("no-scheduler", Map.of("main.py", MAIN));
        Cli.Run r = Cli.run(env, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        // under --json the warning is in the one result document, stderr stays empty
        assertThat(r.err()).isEmpty();
        JsonNode out = Json.MAPPER.readTree(r.out());
        assertThat(out.path("status").asText()).isEqualTo("processed");
        assertThat(out.path("warnings").toString()).isEqualTo("[\"cannot reach the scheduler at http://127.0.0.1:9, so no check that a node"
                + " can hold the program (pass --scheduler-url to check)\"]");
        Cli.Run human = Cli.run(env, "program", "upload", "--persistent", src.toString(), "main:app");
        assertThat(human.code()).as(human.err()).isZero();
        assertThat(human.err().strip()).isEqualTo("Warning: cannot reach the scheduler at http://127.0.0.1:9, so no check that a node"
                + " can hold the program (pass --scheduler-url to check)");
    }

    @Test
    void accountBalanceOfANonAddressIsAUsageError() {
        Cli.Run r = Cli.run(env, "account", "balance", "--address", "0xnothex");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip()).isEqualTo("Error: --address '0xnothex' is not an Ethereum address (0x + 40 hex digits)"
                + " — pass one, or omit --address for your account");
    }

    @Test
    void packingTheSameDirectoryTwiceGivesTheSameBytes() throws Exception {
        Path src = app("twice", Map.of("main.py", MAIN, "static/a.txt", "a", "static/b/c.txt", "c"));
        Map<String, String> withMksquashfs = Cli.env(net, tmp.resolve("home"), true);
        for (Map<String, String> e : List.of(env, withMksquashfs)) {
            String first;
            try (CodeArchive a = CodeArchive.pack(src, null, e)) {
                first = sha256(a.file());
            }
            try (var files = Files.walk(src)) {
                for (Path p : files.toList()) Files.setLastModifiedTime(p, FileTime.from(Instant.now().plusSeconds(3600)));
            }
            try (CodeArchive b = CodeArchive.pack(src, null, e)) {
                assertThat(sha256(b.file())).as(b.encoding().value()).isEqualTo(first);
            }
        }
    }

    private static String sha256(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    static JsonNode tree(String s) throws Exception {
        return Json.MAPPER.readTree(s.getBytes(StandardCharsets.UTF_8));
    }
}
