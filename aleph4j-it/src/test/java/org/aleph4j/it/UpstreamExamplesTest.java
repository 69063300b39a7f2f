package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.aleph4j.client.CcnClient;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Chain;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.runtime.UpstreamRuntimes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream aleph-vm's own example programs (vendored under {@code src/test/resources/upstream-examples},
 * see its PROVENANCE.md), uploaded through the CLI as their READMEs and Makefiles do, on a sandboxed
 * devnet, then called over HTTP: the ones that need nothing from the internet answer as upstream
 * documents. Also a PROGRAM message written as upstream's SDK writes it (its default runtime, no
 * volumes), signed and posted directly, since upstream's CLI itself cannot be installed here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamExamplesTest {
    static final String UPSTREAM_RUNTIME = UpstreamRuntimes.upstreamDefault().ref();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Path tmp;
    Path work;
    NodeProcess devnet;
    Cli cli;
    String ccn;
    String crn;
    final EthAccount upstreamUser = EthAccount.generate(new java.security.SecureRandom());

    @BeforeAll
    void startDevnet(@TempDir Path dir) throws Exception {
        tmp = dir;
        boolean root = "0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip());
        boolean bwrap = Files.isExecutable(Path.of("/usr/bin/bwrap"));
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) {
            assertThat(root && bwrap).as("ALEPH4J_REQUIRE_SANDBOX=1: upstream's examples run in the sandbox, which needs root and bubblewrap").isTrue();
        }
        Assumptions.assumeTrue(root && bwrap, "upstream's examples run in the sandbox, which needs root and bubblewrap");
        int base = Http.freePorts(3);
        ccn = "http://127.0.0.1:" + base;
        crn = "http://127.0.0.1:" + (base + 2);
        Map<String, String> env = Map.of("ALEPH_HOME", tmp.resolve("aleph-home").toString(), "ALEPH_CCN_URL", ccn,
                "ALEPH_SCHEDULER_URL", "http://127.0.0.1:" + (base + 1), "ALEPH_CRN_URL", crn);
        devnet = NodeProcess.start("devnet", tmp.resolve("devnet.log"), env, "aleph-node", "devnet", "--data",
                tmp.resolve("devnet").toString(), "--crns", "1", "--executor", "sandbox", "--fund", upstreamUser.address(),
                "--ccn-port", String.valueOf(base), "--scheduler-port", String.valueOf(base + 1), "--crn-port", String.valueOf(base + 2));
        devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
        work = Files.createDirectories(tmp.resolve("work"));
        cli = new Cli(work, env);
    }

    @AfterAll
    void stopDevnet() {
        if (devnet != null) devnet.close();
    }

    @Test
    void javascriptExampleAsItsMakefilePublishesIt() throws Exception {
        Path example = copyExample("example_http_js");
        // its Makefile's `publish` target: chmod +x ./src/run.sh; aleph program upload ./src "run.sh"
        Files.setPosixFilePermissions(example.resolve("src/run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        String hash = upload(new Cli(example, cliEnv()), "program", "upload", "./src", "run.sh");

        HttpResponse<String> r = send(HttpRequest.newBuilder(vm(hash, "/")).GET());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("Hello, World!");
        // the program's own header, once (the gateway adds none of its own)
        assertThat(r.headers().allValues("content-type")).containsExactly("text/plain");
    }

    @Test
    void djangoExampleOnUpstreamsRuntimeWithItsDatabaseVolume() throws Exception {
        Path example = copyExample("example_django");
        // the volume upstream's own program message for this example gives it (examples/program_message_from_aleph.json)
        String hash = upload(cli, "program", "upload", example.toString(), "example_django.asgi:application",
                "--runtime", UPSTREAM_RUNTIME, "--persistent-volume", "persistence=host,size_mib=20,mount=/var/lib/sqlite,name=database");

        // Django checks the Host header against ALLOWED_HOSTS (127.0.0.1): the client's Host must reach it
        HttpResponse<String> list = awaitOk(hash, "/");
        assertThat(list.body()).contains("<h1>My Django Blog</h1>", "Something different");
        String articleId = firstMatch(list.body(), "<h2 id=\"([0-9a-f-]{36})\">");

        HttpResponse<String> comment = send(HttpRequest.newBuilder(vm(hash, "/comment"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("text", "written through aleph4j", "article", articleId)))));
        assertThat(comment.statusCode()).as(comment.body()).isEqualTo(302);
        assertThat(awaitOk(hash, "/").body()).contains("<p>written through aleph4j</p>");

        HttpResponse<String> echo = send(HttpRequest.newBuilder(vm(hash, "/post"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString("a=1&b=two")));
        assertThat(echo.statusCode()).as(echo.body()).isEqualTo(200);
        assertThat(json(echo.body())).isEqualTo(json("{\"a\":\"1\",\"b\":\"two\"}"));
    }

    @Test
    void fastapiTutorialOfTheExamplesReadmeAsAZip() throws Exception {
        // examples/README.md: a package example_fastapi/__init__.py holding its code, `zip -r example_fastapi.zip example_fastapi`
        String readme = Files.readString(fixtures().resolve("README.md"));
        String code = firstMatch(readme, "(?s)```python\\n(.*?)```");
        Path zip = work.resolve("example_fastapi.zip");
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("example_fastapi/"));
            z.closeEntry();
            z.putNextEntry(new ZipEntry("example_fastapi/__init__.py"));
            z.write(code.getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        }
        String hash = upload(cli, "program", "upload", zip.toString(), "example_fastapi:app", "--runtime", UPSTREAM_RUNTIME);

        assertThat(json(awaitOk(hash, "/").body())).isEqualTo(json("{\"Hello\":\"World\"}"));
        assertThat(json(awaitOk(hash, "/items/42?q=aleph").body())).isEqualTo(json("{\"item_id\":42,\"q\":\"aleph\"}"));
        HttpResponse<String> bad = send(HttpRequest.newBuilder(vm(hash, "/items/not-a-number")).GET());
        assertThat(bad.statusCode()).as("FastAPI's own validation error, passed through").isEqualTo(422);
    }

    @Test
    void programMessageWrittenAsUpstreamsSdkWritesItRuns() throws Exception {
        Path src = Files.createDirectories(work.resolve("sdk-defaults"));
        Files.writeString(src.resolve("main.py"), """
                from fastapi import FastAPI

                app = FastAPI()


                @app.get("/")
                async def root():
                    return {"message": "Hello from upstream's defaults"}
                """);
        Path zip = work.resolve("sdk-defaults.zip");
        try (OutputStream out = Files.newOutputStream(zip); ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("main.py"));
            z.write(Files.readAllBytes(src.resolve("main.py")));
            z.closeEntry();
        }
        double now = System.currentTimeMillis() / 1000.0;
        try (CcnClient client = new CcnClient(URI.create(ccn))) {
            String fileHash = ItemHashes.sha256Hex(Files.readAllBytes(zip));
            AlephMessage store = MessageBuilder.build(upstreamUser, MessageType.STORE,
                    new StoreContent(upstreamUser.address(), now, ItemType.STORAGE, fileHash, null, null, null, null, null),
                    MessageBuilder.DEFAULT_CHANNEL, now);
            client.uploadFile(zip, store, true, org.aleph4j.client.UploadProgress.NONE);

            // the content upstream's SDK (make_program_content) builds for `aleph program upload` with every default,
            // the volume prompts skipped: its key order, its runtime, hold payment on ETH, 1 vCPU / 2048 MiB
            String content = "{\"address\":\"" + upstreamUser.address() + "\",\"time\":" + now + ",\"allow_amend\":false,"
                    + "\"metadata\":{\"name\":\"sdk-defaults\"},\"authorized_keys\":[],"
                    + "\"environment\":{\"reproducible\":false,\"internet\":false,\"aleph_api\":true,\"shared_cache\":false},"
                    + "\"resources\":{\"vcpus\":1,\"memory\":2048,\"seconds\":30},\"payment\":{\"chain\":\"ETH\",\"type\":\"hold\"},"
                    + "\"volumes\":[],\"type\":\"vm-function\","
                    + "\"code\":{\"encoding\":\"zip\",\"entrypoint\":\"main:app\",\"ref\":\"" + store.itemHash() + "\",\"use_latest\":true},"
                    + "\"runtime\":{\"ref\":\"" + UPSTREAM_RUNTIME + "\",\"use_latest\":true,\"comment\":\"Official aleph.im runtime\"},"
                    + "\"on\":{\"http\":true,\"persistent\":false}}";
            AlephMessage unsigned = new AlephMessage(Chain.ETH, upstreamUser.address(), MessageType.PROGRAM,
                    MessageBuilder.DEFAULT_CHANNEL, ItemType.INLINE, content, ItemHashes.sha256Hex(content), null, now,
                    null, null, null, null, null, null);
            AlephMessage program = unsigned.withSignature(upstreamUser.signEip191(unsigned.verificationBuffer()));
            client.post(program, true);

            JsonNode record = json(Http.get(ccn + "/api/v0/messages/" + program.itemHash()).body());
            assertThat(record.path("status").asText()).as(record.toString()).isEqualTo("processed");
            HttpResponse<String> r = awaitOk(program.itemHash(), "/");
            assertThat(json(r.body()).path("message").asText()).isEqualTo("Hello from upstream's defaults");
        }
        JsonNode runtimes = json(Http.get(crn + "/about").body()).path("runtimes");
        assertThat(runtimes.toString()).as("/about names upstream's runtime it serves").contains(UPSTREAM_RUNTIME);
    }

    @Test
    void runtimeCheckerReportsWhatUpstreamsRuntimeProvidesHereAndDeletesItsProgram() throws Exception {
        Cli.Result r = cli.runArgs("program", "runtime-checker", UPSTREAM_RUNTIME, "--json");
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode out = json(r.out());
        assertThat(out.path("runtime").asText()).isEqualTo(UPSTREAM_RUNTIME);
        JsonNode versions = out.path("versions");
        assertThat(versions.path("python").asText()).startsWith("3.");
        for (String module : new String[] {"fastapi", "uvicorn", "aiohttp", "pip"}) {
            assertThat(versions.path(module).asText()).as(module + " in " + versions).matches("\\d+(\\.\\w+)*");
        }
        assertThat(out.path("deleted").asBoolean()).isTrue();
        assertThat(json(Http.get(ccn + "/api/v0/messages/" + out.path("program").asText()).body()).path("status").asText())
                .isEqualTo("forgotten");
    }

    // ------------------------------------------------------------------ helpers

    Map<String, String> cliEnv() {
        return Map.of("ALEPH_HOME", tmp.resolve("aleph-home").toString(), "ALEPH_CCN_URL", ccn, "ALEPH_CRN_URL", crn);
    }

    static Path fixtures() {
        return NodeProcess.ROOT.resolve("aleph4j-it/src/test/resources/upstream-examples");
    }

    /** A fresh copy of one vendored example directory, as a user's checkout of aleph-vm would hold it. */
    Path copyExample(String name) throws IOException {
        Path from = fixtures().resolve(name);
        Path to = work.resolve(name);
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
        return to;
    }

    static String upload(Cli cli, String... args) throws Exception {
        Cli.Result r = cli.runArgs(args);
        assertThat(r.exit()).as(r.toString()).isZero();
        return r.firstHash();
    }

    URI vm(String hash, String path) {
        return URI.create(crn + "/vm/" + hash + path);
    }

    HttpResponse<String> awaitOk(String hash, String path) {
        HttpResponse<String>[] last = new HttpResponse[1];
        await(path + " of " + hash).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            last[0] = send(HttpRequest.newBuilder(vm(hash, path)).GET());
            assertThat(last[0].statusCode()).as(last[0].body()).isEqualTo(200);
        });
        return last[0];
    }

    static HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
        return HTTP.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String form(Map<String, String> fields) {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (!s.isEmpty()) s.append('&');
            s.append(URLEncoder.encode(f.getKey(), StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(f.getValue(), StandardCharsets.UTF_8));
        }
        return s.toString();
    }

    static String firstMatch(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("/" + regex + "/ in:\n" + text).isTrue();
        return m.group(1);
    }

    static JsonNode json(String body) {
        return new Http.Response(200, body).json();
    }
}
