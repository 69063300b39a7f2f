package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/aleph program upload} against a devnet of one CRN: what it refuses before anything is
 * signed or sent (exit code, the one line on stderr, no message posted and no funds held), the
 * insufficient-funds line whose funding command works, and code packed twice giving one code hash
 * with a progress of one line at start and end when stderr is not a terminal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliUploadChecksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MAIN = "async def app(scope, receive, send):\n    pass\n";
    Path tmp;
    NodeProcess devnet;
    Cli cli;
    String ccn;
    String scheduler;
    String address;

    @BeforeAll
    void startDevnet(@TempDir Path dir) throws Exception {
        tmp = dir;
        int base = Http.freePorts(3);
        ccn = "http://127.0.0.1:" + base;
        scheduler = "http://127.0.0.1:" + (base + 1);
        Map<String, String> env = Map.of("ALEPH_HOME", tmp.resolve("aleph-home").toString(), "ALEPH_CCN_URL", ccn,
                "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", "http://127.0.0.1:" + (base + 2), "HOME", tmp.toString());
        devnet = NodeProcess.start("devnet", tmp.resolve("devnet.log"), env, "aleph-node", "devnet", "--data",
                tmp.resolve("devnet").toString(), "--crns", "1", "--ccn-port", String.valueOf(base),
                "--scheduler-port", String.valueOf(base + 1), "--crn-port", String.valueOf(base + 2));
        devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
        cli = new Cli(Files.createDirectories(tmp.resolve("work")), env);
        Cli.Result a = cli.run("account address");
        assertThat(a.exit()).as(a.toString()).isZero();
        address = a.out().strip();
    }

    @AfterAll
    void stopDevnet() {
        if (devnet != null) devnet.close();
    }

    private Path app(String name, Map<String, String> files) throws Exception {
        Path d = Files.createDirectories(tmp.resolve("work").resolve(name));
        for (var f : files.entrySet()) {
            Path p = d.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        return d;
    }

    private BigDecimal locked(String addr) throws Exception {
        return new BigDecimal(Http.get(ccn + "/api/v0/addresses/" + addr + "/balance").json().path("locked_amount").asText("0"));
    }

    private int storesAndPrograms(String addr) throws Exception {
        JsonNode page = Http.get(ccn + "/api/v0/messages.json?addresses=" + addr + "&msgTypes=STORE,PROGRAM"
                + "&msgStatuses=pending,processed,rejected,forgotten&pagination=0").json();
        return page.path("messages").size();
    }

    /** An upload the CLI must refuse: returns its one stderr line after checking nothing was posted or held. */
    private String refused(int exit, String... args) throws Exception {
        BigDecimal lockedBefore = locked(address);
        int before = storesAndPrograms(address);
        List<String> all = new ArrayList<>(List.of("program", "upload"));
        all.addAll(List.of(args));
        Cli.Result r = cli.runArgs(all.toArray(String[]::new));
        assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
        assertThat(r.out()).as(r.toString()).isEmpty();
        String line = r.err().strip();
        assertThat(line).as(r.toString()).startsWith("Error: ").doesNotContain("\n");
        assertThat(storesAndPrograms(address)).isEqualTo(before);
        assertThat(locked(address)).isEqualByComparingTo(lockedBefore);
        return line;
    }

    @Test
    void codeThatCannotRunIsRefusedBeforeAnythingIsSent() throws Exception {
        Path src = app("src", Map.of("main.py", MAIN));
        assertThat(refused(2, src.toString(), "app:app")).isEqualTo("Error: entrypoint app:app: no module 'app' in " + src
                + " (looked for app.py and app/__init__.py) — pass the module that defines your app, e.g. main:app for main.py");
        assertThat(refused(2, src.toString(), "run.sh")).isEqualTo("Error: entrypoint run.sh: no such file in " + src
                + " — pass the program's executable relative to the code (e.g. run.sh), or module:app for a Python app");
        Path empty = Files.createDirectories(tmp.resolve("work/empty"));
        assertThat(refused(2, empty.toString(), "main:app")).isEqualTo("Error: " + empty
                + " is empty — pass the directory that holds your code");
        Path broken = app("broken", Map.of("main.py", "def app(:\n"));
        assertThat(refused(1, broken.toString(), "main:app")).startsWith("Error: syntax error in " + broken + "/main.py:1: ")
                .endsWith(" — fix it and upload again");
    }

    @Test
    void resourcesNoNodeOrTheCcnAcceptsAreRefusedAndGivenValuesAreKept() throws Exception {
        JsonNode node = Http.get(scheduler + "/api/v1/nodes").json().path("items").get(0);
        int vcpus = node.path("capacity").path("vcpus").asInt();
        long memory = node.path("capacity").path("memory_mib").asLong();
        Path src = app("big", Map.of("main.py", MAIN));
        assertThat(refused(1, "--persistent", "--memory", String.valueOf(memory + 1), src.toString(), "main:app")).isEqualTo(
                "Error: no node can hold 1 vCPU and " + (memory + 1) + " MiB: the largest node the scheduler knows has " + vcpus
                        + " vCPUs and " + memory + " MiB — ask for at most that with --vcpus/--memory (or --compute-units)");
        assertThat(refused(1, "--vcpus", "300", src.toString(), "main:app")).isEqualTo("Error: the CCN refuses this program: "
                + "invalid PROGRAM content: resources.vcpus must be between 1 and 256, got 300 — change the option it names and upload again");

        Cli.Result kept = cli.runArgs("program", "upload", "--memory", "3000", src.toString(), "main:app", "--json");
        assertThat(kept.exit()).as(kept.toString()).isZero();
        String hash = JSON.readTree(kept.out()).path("item_hash").asText();
        JsonNode resources = Http.get(ccn + "/api/v0/messages/" + hash).json().path("message").path("content").path("resources");
        assertThat(resources.path("vcpus").asInt()).as(resources.toString()).isEqualTo(1);
        assertThat(resources.path("memory").asInt()).isEqualTo(3000);
    }

    @Test
    void insufficientFundsIsOneLineWhoseFundingCommandWorks() throws Exception {
        Path key = tmp.resolve("poor.key");
        assertThat(cli.runArgs("account", "create", "--private-key-file", key.toString()).exit()).isZero();
        String poor = cli.runArgs("account", "address", "--private-key-file", key.toString()).out().strip();
        Path src = app("poor", Map.of("main.py", MAIN));
        Cli.Result r = cli.runArgs("program", "upload", "--persistent", "--private-key-file", key.toString(), src.toString(), "main:app");
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        Matcher m = Pattern.compile("Error: Program creation failed due to insufficient funds: " + poor
                + " has 0 ALEPH but needs [0-9.]+ ALEPH — on a devnet: (bin/aleph-node fund --ccn-url " + Pattern.quote(ccn)
                + " --oracle-key ~/.aleph4j/devnet/oracle.key " + poor + ")").matcher(r.err().strip());
        assertThat(m.matches()).as(r.toString()).isTrue();
        assertThat(storesAndPrograms(poor)).isZero();

        List<String> fund = new ArrayList<>(List.of(m.group(1).split(" ")));
        fund.set(0, NodeProcess.ROOT.resolve(fund.get(0)).toString());
        fund.replaceAll(w -> w.equals("~/.aleph4j/devnet/oracle.key") ? tmp.resolve("devnet/oracle.key").toString() : w);
        Process p = new ProcessBuilder(fund).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        Cli.Result funded = cli.runArgs("program", "upload", "--persistent", "--private-key-file", key.toString(), src.toString(), "main:app");
        assertThat(funded.exit()).as(funded.toString()).isZero();

        Cli.Result bad = cli.runArgs("account", "balance", "--address", "0xnothex");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err().strip()).isEqualTo("Error: --address '0xnothex' is not an Ethereum address (0x + 40 hex digits)"
                + " — pass one, or omit --address for your account");
    }

    @Test
    void theSameDirectoryTwiceGivesTheSameCodeHashWithOneLineProgress() throws Exception {
        Path src = app("twice", Map.of("main.py", MAIN, "static/index.html", "<p>hi</p>"));
        byte[] noise = new byte[2 << 20];
        new Random(7).nextBytes(noise);
        Files.write(src.resolve("static/blob.bin"), noise);
        List<String> codeHashes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Cli.Result r = cli.runArgs("program", "upload", src.toString(), "main:app", "--name", "twice");
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.err()).doesNotContain("\r").doesNotContain("\u001b");
            assertThat(r.err().lines().toList()).as(r.toString()).hasSize(2)
                    .allMatch(l -> l.matches("Upload(ing|ed) code: [0-9.]+ MiB(\\.\\.\\.)?"));
            String store = r.hashAfter("Code:");
            codeHashes.add(Http.get(ccn + "/api/v0/messages/" + store).json().path("message").path("content").path("item_hash").asText());
            try (var files = Files.walk(src)) {
                for (Path f : files.toList()) Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(600)));
            }
        }
        assertThat(codeHashes.get(0)).matches("[0-9a-f]{64}").isEqualTo(codeHashes.get(1));
    }
}
