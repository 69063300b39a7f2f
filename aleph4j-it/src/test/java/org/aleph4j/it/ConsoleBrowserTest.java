package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.aleph4j.client.LogsGrant;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The scheduler's console in Debian's headless Chromium (driven by playwright-core through
 * {@code console-browser/driver.mjs}, no browser download) against a network of real processes: a
 * CCN, a scheduler and three CRNs ({@code --profile=fast}). Each step asserts on the DOM contract's
 * ids and data attributes (never on pixels) and saves a screenshot under
 * {@code aleph4j-it/target/console-screenshots/}: the three CRNs, a persistent program with its node,
 * its move after {@code kill -9} of that node (live, within the failover bound), the PROGRAM message,
 * the owner's logs through a CLI link and a tampered one refused, a hostile program name shown as
 * text, a phone-width page, and the CCN down. Skipped without Chromium or npm, failed under
 * {@code ALEPH4J_REQUIRE_SANDBOX=1}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path JS_SOURCE = NodeProcess.ROOT.resolve("aleph4j-it/src/test/resources/console-browser");
    static final Path JS_DIR = NodeProcess.ROOT.resolve("aleph4j-it/target/console-browser");
    static final Path SCREENSHOTS = NodeProcess.ROOT.resolve("aleph4j-it/target/console-screenshots");
    /**
     * Short lease timing, between the {@code fast} profile the fault suite uses and the defaults: on
     * a loaded 2-core machine {@code fast}'s 1.5 s lease lapses while a CRN starts a Python program.
     */
    static final FaultLab.Profile TIMING = new FaultLab.Profile("console-test", Duration.ofMillis(500), Duration.ofSeconds(3),
            Duration.ofSeconds(1));
    /** The fault suite's bound from a CRN's death to its program's new placement ({@link FaultsContract#FAILOVER_BOUND}). */
    static final Duration FAILOVER_BOUND = TIMING.leaseTtl().plus(TIMING.drift()).multipliedBy(3).plusSeconds(10);
    static final String HOSTILE_NAME = "<img src=x onerror=\"window.__xss=1\">";
    static final String APP = """
            from fastapi import FastAPI

            print("console-test hello", flush=True)
            app = FastAPI()


            @app.get("/")
            async def root():
                return {"message": "Hello World"}
            """;

    Path dir;
    String ccn;
    String scheduler;
    final List<String> crnUrls = new ArrayList<>();
    /** The scheduler's node hash (sha256 of the lowercase address) of each CRN, by index. */
    final List<String> nodeHashes = new ArrayList<>();
    NodeProcess ccnNode;
    NodeProcess schedulerNode;
    final NodeProcess[] crnNodes = new NodeProcess[3];
    Cli cli;
    Browser browser;
    String program;
    String hostile;
    /** Index of the CRN the program was first placed on (killed in step 4), and where it went. */
    int firstNode = -1;
    String movedTo;
    String grantedUrl;
    private final AtomicInteger shot = new AtomicInteger();

    @BeforeAll
    void start() throws Exception {
        boolean chromium = Files.isExecutable(CHROMIUM);
        boolean npm = onPath("npm") && onPath("node");
        String missing = !chromium ? CHROMIUM + " is not installed (apt-get install chromium, or scripts/setup.sh with ALEPH4J_WITH_EXAMPLES=1)"
                : !npm ? "node and npm are not installed" : null;
        if (missing != null) {
            if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) fail("ALEPH4J_REQUIRE_SANDBOX=1: the console's browser test needs: " + missing);
            assumeTrue(false, "skipping the console's browser test: " + missing);
        }
        dir = Files.createTempDirectory("console-browser-test");
        Files.createDirectories(SCREENSHOTS);
        try (var old = Files.list(SCREENSHOTS)) {
            for (Path p : old.toList()) if (p.toString().endsWith(".png")) Files.delete(p);
        }
        // npm installs while the nodes start
        Process npmCi = prepareDriver();

        int base = Http.freePorts(5);
        ccn = "http://127.0.0.1:" + base;
        scheduler = "http://127.0.0.1:" + (base + 1);
        for (int i = 0; i < 3; i++) crnUrls.add("http://127.0.0.1:" + (base + 2 + i));
        EthAccount oracle = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("oracle.key"), oracle, false);
        List<String> crnAddresses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            EthAccount k = EthAccount.generate(new SecureRandom());
            KeyFiles.write(dir.resolve("crn-" + i + ".key"), k, false);
            crnAddresses.add(k.address());
            nodeHashes.add(ItemHashes.sha256Hex(k.address().toLowerCase()));
        }
        EthAccount schedulerKey = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("scheduler.key"), schedulerKey, false);
        Map<String, String> env = new HashMap<>(Map.of("ALEPH_HOME", dir.resolve("aleph-home").toString(),
                "ALEPH_CCN_URL", ccn, "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", crnUrls.get(0)));
        // the nodes' settings (ALEPH4J_<KEY>): the same lease timing on the scheduler and every CRN
        env.put("ALEPH4J_HEARTBEAT", TIMING.heartbeat().toMillis() + "ms");
        env.put("ALEPH4J_LEASE_TTL", TIMING.leaseTtl().toMillis() + "ms");
        env.put("ALEPH4J_DRIFT_MARGIN", TIMING.drift().toMillis() + "ms");
        ccnNode = NodeProcess.start("ccn", dir.resolve("ccn.log"), env, "aleph-node", "ccn", "--data", dir.resolve("ccn").toString(),
                "--port", String.valueOf(base), "--oracle-addresses", oracle.address());
        ccnNode.awaitLog("aleph4j ccn ready", Duration.ofSeconds(120));
        schedulerNode = NodeProcess.start("scheduler", dir.resolve("scheduler.log"), env, "aleph-node", "scheduler",
                "--data", dir.resolve("scheduler").toString(), "--port", String.valueOf(base + 1), "--ccn-url", ccn,
                "--allowed-nodes", String.join(",", crnAddresses), "--require-isolation=false",
                "--key-file", dir.resolve("scheduler.key").toString());
        for (int i = 0; i < 3; i++) {
            crnNodes[i] = NodeProcess.start("crn-" + i, dir.resolve("crn-" + i + ".log"), env, "aleph-node", "crn",
                    "--data", dir.resolve("crn-" + i).toString(), "--port", String.valueOf(base + 2 + i), "--ccn-url", ccn,
                    "--scheduler-url", scheduler, "--scheduler-addresses", schedulerKey.address(),
                    "--key-file", dir.resolve("crn-" + i + ".key").toString(), "--executor", "process");
        }
        schedulerNode.awaitLog("aleph4j scheduler ready", Duration.ofSeconds(120));
        for (NodeProcess crn : crnNodes) crn.awaitLog("aleph4j crn ready", Duration.ofSeconds(120));
        EthAccount user = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("aleph-home/private-keys/ethereum.key"), user, false);
        try (NodeProcess fund = NodeProcess.start("fund", dir.resolve("fund.log"), env, "aleph-node", "fund", "--ccn-url", ccn,
                "--oracle-key", dir.resolve("oracle.key").toString(), user.address() + "=10000000")) {
            fund.awaitLog("funded " + user.address(), Duration.ofSeconds(120));
        }
        cli = new Cli(Files.createDirectories(dir.resolve("work")), env);

        if (npmCi != null) {
            boolean done = npmCi.waitFor(240, TimeUnit.SECONDS);
            if (!done) npmCi.destroyForcibly();
            assertThat(done && npmCi.exitValue() == 0).as("npm ci in %s:%n%s", JS_DIR, Files.readString(JS_DIR.resolve("npm.log"))).isTrue();
        }
        browser = new Browser(dir.resolve("chromium-profile"), dir.resolve("driver.log"));
    }

    @AfterAll
    void stop() {
        if (browser != null) browser.close();
        for (NodeProcess crn : crnNodes) if (crn != null) crn.close();
        if (schedulerNode != null) schedulerNode.close();
        if (ccnNode != null) ccnNode.close();
        if (dir != null) {
            // a CRN killed with -9 leaves its executions' work mounts (tmpfs) behind: this test's own, by path
            unmountUnder(dir);
            org.awaitility.Awaitility.await("the test's directory removed").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().until(() -> {
                        try (var paths = Files.walk(dir)) {
                            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                        }
                        return !Files.exists(dir);
                    });
        }
    }

    // ---------------------------------------------------------------- steps

    @Test
    @Order(1)
    void theNetworkPageListsTheThreeCrnsAsActiveWithTheirUrls() throws Exception {
        browser.go(scheduler + "/console/#/network");
        browser.waitFor("table#nodes tbody tr[data-node-hash]", 3, "data-state", "active", Duration.ofSeconds(30));
        JsonNode rows = browser.eval("[...document.querySelectorAll('table#nodes tbody tr[data-node-hash]')].map(r => ({"
                + "hash: r.dataset.nodeHash, state: r.dataset.state, links: [...r.querySelectorAll('a[href]')].map(a => a.href)}))");
        screenshot("network");
        assertThat(rows).hasSize(3);
        for (JsonNode r : rows) {
            int i = nodeHashes.indexOf(r.path("hash").asText());
            assertThat(i).as("row %s is one of the CRNs %s", r, nodeHashes).isNotNegative();
            assertThat(r.path("state").asText()).isEqualTo("active");
            assertThat(Json.MAPPER.convertValue(r.path("links"), String[].class)).as("links of %s", r)
                    .anyMatch(href -> href.startsWith(crnUrls.get(i)));
        }
        assertThat(browser.eval("document.querySelector('#connection')?.dataset.state").asText()).isEqualTo("live");
    }

    @Test
    @Order(2)
    void anUploadedPersistentProgramAppearsWithItsNodeOnTheProgramsAndNetworkPages() throws Exception {
        Path hello = app("hello");
        Path hostileApp = app("hostile");
        // both at once: two CLI JVMs
        var hostileRun = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return cli.runArgs("program", "upload", "--persistent", hostileApp.toString(), "main:app", "--name", HOSTILE_NAME);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Cli.Result upload = cli.runArgs("program", "upload", "--persistent", hello.toString(), "main:app", "--name", "console-test");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        program = upload.firstHash();
        Cli.Result hostileUpload = hostileRun.get(150, TimeUnit.SECONDS);
        assertThat(hostileUpload.exit()).as(hostileUpload.toString()).isZero();
        hostile = hostileUpload.firstHash();

        browser.go(scheduler + "/console/#/programs");
        String row = "table#programs tbody tr[data-item-hash='" + program + "']";
        browser.waitFor(row + ":not([data-node-hash=''])", 1, "data-node-hash", null, Duration.ofSeconds(60));
        String node = browser.eval("document.querySelector(\"" + row + "\").dataset.nodeHash").asText();
        firstNode = nodeHashes.indexOf(node);
        assertThat(firstNode).as("the program's node %s is one of %s", node, nodeHashes).isNotNegative();
        screenshot("programs");

        browser.go(scheduler + "/console/#/network");
        browser.waitFor("table#nodes tbody tr[data-node-hash='" + node + "'] [data-program='" + program + "']", 1, null, null,
                Duration.ofSeconds(30));
        screenshot("network-with-program");
        assertThat(browser.eval("[...document.querySelectorAll(\"table#nodes tbody tr [data-program='" + program + "']\")]"
                + ".map(e => e.closest('tr').dataset.nodeHash)")).extracting(JsonNode::asText).containsExactly(node);
    }

    @Test
    @Order(3)
    void killingTheProgramsNodeShowsTheMoveLiveOnTheProgramPageWithinTheFailoverBound() throws Exception {
        assertThat(firstNode).as("step 2 placed the program").isNotNegative();
        // the program answers first, so that it has started (and logged) before the fault
        org.awaitility.Awaitility.await("the program answers").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
                .until(() -> Http.get(crnUrls.get(firstNode) + "/vm/" + program + "/").status() == 200);
        browser.go(scheduler + "/console/#/program/" + program);
        String nodeField = "section#program[data-item-hash='" + program + "'] [data-field=node]";
        browser.waitFor(nodeField + ":not([data-node-hash=''])", 1, "data-node-hash", null, Duration.ofSeconds(20));
        // where it runs now (the node of step 2, unless it has moved since)
        String from = browser.eval("document.querySelector(\"" + nodeField + "\").dataset.nodeHash").asText();
        firstNode = nodeHashes.indexOf(from);
        assertThat(firstNode).as("the program's node %s is one of %s", from, nodeHashes).isNotNegative();
        browser.waitFor("ol#timeline li", 1, "data-reason", null, Duration.ofSeconds(20));
        assertThat(browser.eval("document.querySelector('svg#placement-chart') !== null").asBoolean()).isTrue();
        assertThat(browser.eval("document.querySelector(\"a#program-message\")?.getAttribute('href')").asText())
                .endsWith("#/messages/" + program);
        int before = browser.eval("document.querySelectorAll('ol#timeline li').length").asInt();
        screenshot("program");
        browser.eval("window.__sameDocument = 'yes'");

        long t0 = System.nanoTime();
        crnNodes[firstNode].killHard();
        String moved = "ol#timeline li[data-reason='node-lost'][data-from='" + from + "']:not([data-to=''])";
        browser.waitFor(moved, 1, "data-to", null, FAILOVER_BOUND);
        Duration seen = Duration.ofNanos(System.nanoTime() - t0);
        System.out.printf("console: the move of %s was on the program page %.1f s after kill -9 of its node (bound %d s)%n",
                program, seen.toMillis() / 1000.0, FAILOVER_BOUND.toSeconds());
        JsonNode timeline = browser.eval("[...document.querySelectorAll('ol#timeline li')].map(l => ({time: l.dataset.time, "
                + "from: l.dataset.from, to: l.dataset.to, epoch: l.dataset.epoch, reason: l.dataset.reason}))");
        screenshot("program-moved");
        assertThat(browser.eval("window.__sameDocument").asText()).as("the page was not reloaded").isEqualTo("yes");
        assertThat(timeline.size()).isGreaterThan(before);
        JsonNode move = null;
        for (JsonNode l : timeline) {
            if (l.path("reason").asText().equals("node-lost") && l.path("from").asText().equals(from) && !l.path("to").asText().isEmpty()) move = l;
        }
        assertThat(move).as("%s", timeline).isNotNull();
        movedTo = move.path("to").asText();
        assertThat(movedTo).isIn(otherNodes(firstNode));
        assertThat(java.time.Instant.parse(move.path("time").asText())).isNotNull();
        assertThat(move.path("epoch").asLong()).isGreaterThan(timeline.get(0).path("epoch").asLong());
        browser.waitFor("[data-field=node]", 1, "data-node-hash", movedTo, Duration.ofSeconds(10));
        assertThat(browser.eval("document.querySelector('[data-field=epoch]').textContent").asText()).contains(move.path("epoch").asText());

        browser.go(scheduler + "/console/#/network");
        browser.waitFor("table#nodes tbody tr[data-node-hash='" + from + "']", 1, "data-state", "lost", Duration.ofSeconds(30));
        browser.waitFor("table#nodes tbody tr[data-node-hash='" + movedTo + "'] [data-program='" + program + "']", 1, null, null,
                Duration.ofSeconds(15));
        screenshot("network-node-lost");
        assertThat(browser.eval("document.querySelector(\"table#nodes tbody tr[data-node-hash='" + from + "']\").innerText").asText())
                .as("a lost node says when it was last seen").containsPattern("(?i)last seen");
    }

    @Test
    @Order(4)
    void theMessagesPageShowsTheProgramAndItsJsonOnClick() throws Exception {
        browser.go(scheduler + "/console/#/messages");
        String row = "table#messages tbody tr[data-item-hash='" + program + "'][data-type='PROGRAM']";
        browser.waitFor(row, 1, null, null, Duration.ofSeconds(30));
        browser.click(row);
        browser.waitFor("pre#message-json", 1, null, null, Duration.ofSeconds(10));
        org.awaitility.Awaitility.await("the message's JSON").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> browser.eval("document.querySelector('pre#message-json').textContent").asText().contains(program));
        screenshot("messages");
        JsonNode shown = Json.MAPPER.readTree(browser.eval("document.querySelector('pre#message-json').textContent").asText());
        assertThat(shown.toString()).contains(program).contains("PROGRAM");

        // rows are focusable: Enter on the program's code STORE shows that message instead
        String store = browser.eval("document.querySelector(\"table#messages tbody tr[data-type='STORE']\")?.dataset.itemHash").asText();
        assertThat(store).matches("[0-9a-f]{64}");
        browser.press("table#messages tbody tr[data-item-hash='" + store + "']", "Enter");
        org.awaitility.Awaitility.await("Enter shows the STORE's JSON").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> browser.eval("document.querySelector('pre#message-json').textContent").asText().contains(store));
    }

    @Test
    @Order(5)
    void theClisLinkShowsTheOwnersLogsAndATamperedOneIsRefused() throws Exception {
        Cli.Result open = cli.runArgs("program", "logs", program, "--open", "--json");
        assertThat(open.exit()).as(open.toString()).isZero();
        JsonNode link = Json.MAPPER.readTree(open.out());
        grantedUrl = link.path("url").asText();
        String prefix = scheduler + "/console/#/program/" + program + "?grant=";
        assertThat(grantedUrl).startsWith(prefix);
        assertThat(java.time.Instant.parse(link.path("expires").asText())).isAfter(java.time.Instant.now());

        browser.go("about:blank");
        browser.go(grantedUrl);
        browser.waitFor("#logs", 1, "data-state", "shown", Duration.ofSeconds(30));
        org.awaitility.Awaitility.await("the program's own line in #logs").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> browser.eval("document.querySelector('#logs').textContent").asText().contains("console-test hello"));
        screenshot("logs");

        LogsGrant grant = LogsGrant.decode(grantedUrl.substring(prefix.length()));
        String tampered = new LogsGrant(grant.itemHash(), grant.address(), grant.expires() - 1, grant.signature()).encode();
        browser.go("about:blank");
        browser.go(prefix + tampered);
        browser.waitFor("#logs", 1, "data-state", "error", Duration.ofSeconds(30));
        screenshot("logs-tampered");
        assertThat(browser.eval("document.querySelector('#logs').textContent").asText()).doesNotContain("console-test hello");
    }

    @Test
    @Order(6)
    void aHostileProgramNameIsShownAsText() throws Exception {
        browser.go("about:blank");
        browser.go(scheduler + "/console/#/programs");
        browser.waitFor("table#programs tbody tr[data-item-hash='" + hostile + "']", 1, null, null, Duration.ofSeconds(30));
        // the search (hash or name, substring) keeps the hostile program's row and drops the other one
        browser.fill("input#search", "onerror=");
        org.awaitility.Awaitility.await("the search filters the rows").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> browser.eval("[...document.querySelectorAll('table#programs tbody tr[data-item-hash]')]"
                        + ".map(r => r.dataset.itemHash).join(',')").asText().equals(hostile));
        assertThat(browser.eval("document.querySelector(\"table#programs tbody tr[data-item-hash='" + hostile + "']\").textContent")
                .asText()).contains(HOSTILE_NAME);
        browser.go(scheduler + "/console/#/program/" + hostile);
        browser.waitFor("section#program[data-item-hash='" + hostile + "']", 1, null, null, Duration.ofSeconds(20));
        org.awaitility.Awaitility.await("the name on the program page").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
                .until(() -> browser.eval("document.querySelector('section#program').textContent").asText().contains(HOSTILE_NAME));
        browser.go(scheduler + "/console/#/messages/" + hostile);
        browser.waitFor("pre#message-json", 1, null, null, Duration.ofSeconds(20));
        screenshot("hostile-name");
        assertThat(browser.eval("typeof window.__xss").asText()).isEqualTo("undefined");
        assertThat(browser.eval("document.querySelectorAll('img[src=\"x\"], img[onerror]').length").asInt()).isZero();
    }

    @Test
    @Order(7)
    void atPhoneWidthTheNetworkPageHasNoHorizontalScroll() throws Exception {
        browser.viewport(375, 812);
        try {
            browser.go("about:blank");
            browser.go(scheduler + "/console/#/network");
            browser.waitFor("table#nodes tbody tr[data-node-hash]", 3, null, null, Duration.ofSeconds(20));
            screenshot("network-375px");
            JsonNode widths = browser.eval("({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, "
                    + "body: document.body.scrollWidth})");
            assertThat(widths.path("scroll").asInt()).as("%s", widths).isLessThanOrEqualTo(widths.path("client").asInt());
            assertThat(widths.path("body").asInt()).as("%s", widths).isLessThanOrEqualTo(widths.path("client").asInt());
        } finally {
            browser.viewport(1280, 900);
        }
    }

    @Test
    @Order(8)
    void withTheCcnStoppedTheMessagesPageSaysSoInsteadOfGoingBlank() throws Exception {
        ccnNode.killHard();
        browser.go("about:blank");
        browser.go(scheduler + "/console/#/messages");
        // not blank: the scheduler still shows the last page the CCN gave, the PROGRAM among it
        browser.waitFor("table#messages tbody tr[data-item-hash='" + program + "'][data-type='PROGRAM']", 1, null, null,
                Duration.ofSeconds(30));
        // and says the CCN is down (#connection is the console's own live stream, which stays live while the scheduler
        // answers; #ccn-status says what the scheduler last heard of the CCN)
        browser.waitFor("#ccn-status[data-state='unreachable']", 1, null, null, Duration.ofSeconds(30));
        assertThat(browser.eval("document.querySelector('#ccn-status').textContent").asText()).contains("last seen");
        screenshot("messages-ccn-down");
        String text = browser.eval("document.body.innerText").asText();
        assertThat(text.strip()).as("the page is not blank").isNotEmpty();
        assertThat(text).doesNotContain("Exception").doesNotContain("at org.aleph4j");
        assertThat(browser.eval("document.querySelector('#connection') !== null").asBoolean()).isTrue();
    }

    // ---------------------------------------------------------------- helpers

    static void unmountUnder(Path dir) {
        try {
            List<String> mounts = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1 && f[1].startsWith(dir + "/")) mounts.add(f[1]);
            }
            for (String m : mounts.reversed()) {
                Process p = new ProcessBuilder("umount", "-l", m).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            }
        } catch (IOException e) {
            // deletion below says what is left
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Path app(String name) throws IOException {
        Path src = Files.createDirectories(dir.resolve("work").resolve(name));
        Files.writeString(src.resolve("main.py"), APP);
        return src;
    }

    List<String> otherNodes(int index) {
        List<String> others = new ArrayList<>(nodeHashes);
        others.remove(index);
        return others;
    }

    void screenshot(String name) throws Exception {
        Path p = SCREENSHOTS.resolve(String.format("%02d-%s.png", shot.incrementAndGet(), name));
        browser.screenshot(p);
        assertThat(p).isNotEmptyFile();
    }

    static boolean onPath(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try {
                return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
            } finally {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Copies the driver and its pinned package files to {@code target/console-browser} and starts
     * {@code npm ci} there unless the same lock file is already installed; null when nothing is to do.
     */
    static Process prepareDriver() throws IOException {
        Files.createDirectories(JS_DIR);
        Files.copy(JS_SOURCE.resolve("driver.mjs"), JS_DIR.resolve("driver.mjs"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(JS_SOURCE.resolve("package.json"), JS_DIR.resolve("package.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        byte[] lock = Files.readAllBytes(JS_SOURCE.resolve("package-lock.json"));
        Path installed = JS_DIR.resolve("node_modules/.package-lock.source");
        if (Files.exists(JS_DIR.resolve("node_modules/playwright-core/package.json")) && Files.exists(installed)
                && java.util.Arrays.equals(Files.readAllBytes(installed), lock)) {
            return null;
        }
        Files.write(JS_DIR.resolve("package-lock.json"), lock);
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", "npm ci --no-audit --no-fund && cp package-lock.json node_modules/.package-lock.source")
                .directory(JS_DIR.toFile()).redirectErrorStream(true).redirectOutput(JS_DIR.resolve("npm.log").toFile());
        pb.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        return pb.start();
    }

    /** {@code node driver.mjs}: one command per line to its stdin, one JSON answer per line from its stdout. */
    static final class Browser implements AutoCloseable {
        private final Process process;
        private final BufferedWriter in;
        private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        private final Path log;
        private int next = 1;

        Browser(Path userDataDir, Path log) throws Exception {
            this.log = log;
            ProcessBuilder pb = new ProcessBuilder("node", JS_DIR.resolve("driver.mjs").toString(), CHROMIUM.toString(), userDataDir.toString())
                    .directory(JS_DIR.toFile()).redirectError(log.toFile());
            pb.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            process = pb.start();
            in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) answers.add(line);
                } catch (IOException ignored) {
                    // the driver exited
                }
                answers.add("{\"id\":-1,\"ok\":false,\"error\":\"the driver exited\"}");
            }, "browser-driver-stdout");
            reader.setDaemon(true);
            reader.start();
            JsonNode ready = answer(0, Duration.ofSeconds(90));
            assertThat(ready.path("ok").asBoolean()).as("the driver started Chromium: %s%n%s", ready, tail()).isTrue();
        }

        /** Sends one command and returns its value; fails with the driver's error (and log tail) otherwise. */
        synchronized JsonNode send(ObjectNode command, Duration timeout) throws Exception {
            int id = next++;
            command.put("id", id);
            in.write(command.toString());
            in.write('\n');
            in.flush();
            JsonNode a = answer(id, timeout.plusSeconds(15));
            if (!a.path("ok").asBoolean()) {
                throw new AssertionError("browser: " + command.path("cmd").asText() + " " + command + " failed: " + a.path("error").asText()
                        + "\npage errors: " + errorsQuietly());
            }
            return a.path("value");
        }

        private JsonNode answer(int id, Duration timeout) throws Exception {
            long end = System.nanoTime() + timeout.toNanos();
            while (true) {
                String line = answers.poll(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) throw new AssertionError("the browser driver gave no answer to command " + id + " within " + timeout + "\n" + tail());
                JsonNode a = Json.MAPPER.readTree(line);
                if (a.path("id").asInt() == id || a.path("id").asInt() == -1) return a;
            }
        }

        private String errorsQuietly() {
            try {
                int id = next++;
                in.write("{\"id\":" + id + ",\"cmd\":\"errors\"}\n");
                in.flush();
                return answer(id, Duration.ofSeconds(5)).path("value").toString();
            } catch (Exception | AssertionError e) {
                return "(unknown: " + e.getMessage() + ")";
            }
        }

        private ObjectNode cmd(String name) {
            return Json.MAPPER.createObjectNode().put("cmd", name);
        }

        void go(String url) throws Exception {
            send(cmd("goto").put("url", url).put("timeoutMs", 30_000), Duration.ofSeconds(30));
        }

        /** Waits until {@code selector} matches {@code count} elements having {@code attribute} (= {@code value} when not null). */
        void waitFor(String selector, int count, String attribute, String value, Duration timeout) throws Exception {
            ObjectNode c = cmd("waitFor").put("selector", selector).put("count", count).put("timeoutMs", timeout.toMillis());
            if (attribute != null) c.put("attribute", attribute);
            if (value != null) c.put("value", value);
            send(c, timeout);
        }

        JsonNode eval(String expression) throws Exception {
            return send(cmd("eval").put("expression", expression), Duration.ofSeconds(10));
        }

        void click(String selector) throws Exception {
            send(cmd("click").put("selector", selector), Duration.ofSeconds(10));
        }

        /** Focuses {@code selector} and presses {@code key} (keyboard navigation). */
        void press(String selector, String key) throws Exception {
            send(cmd("press").put("selector", selector).put("key", key), Duration.ofSeconds(10));
        }

        void fill(String selector, String text) throws Exception {
            send(cmd("fill").put("selector", selector).put("text", text), Duration.ofSeconds(10));
        }

        void viewport(int width, int height) throws Exception {
            send(cmd("viewport").put("width", width).put("height", height), Duration.ofSeconds(10));
        }

        void screenshot(Path path) throws Exception {
            send(cmd("screenshot").put("path", path.toString()), Duration.ofSeconds(20));
        }

        String tail() {
            try {
                String t = Files.exists(log) ? Files.readString(log) : "";
                return t.length() > 3000 ? t.substring(t.length() - 3000) : t;
            } catch (IOException e) {
                return "";
            }
        }

        @Override
        public void close() {
            List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
            try {
                send(cmd("close"), Duration.ofSeconds(10));
            } catch (Exception | AssertionError ignored) {
                // killed below
            }
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            tree.addAll(process.descendants().toList());
            tree.forEach(ProcessHandle::destroyForcibly); // Chromium's processes, by pid
        }
    }
}
