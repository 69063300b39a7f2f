package org.aleph4j.crn;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.PostResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Environment;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.Interface;
import org.aleph4j.message.content.Payment;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.Resources;
import org.aleph4j.message.content.Runtime;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.content.Triggers;
import org.aleph4j.message.runtime.DefaultRuntime;

/** A real CCN with an oracle, a funded user and helpers to publish code and programs. */
public final class TestNetwork implements AutoCloseable {
    final EthAccount oracle = EthAccount.generate(new SecureRandom());
    public final EthAccount user = EthAccount.generate(new SecureRandom());
    final CcnNode ccn;
    public final CcnClient client;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public TestNetwork(Path dir) throws Exception {
        ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn")).withPort(0)
                .withOracleAddresses(Set.of(oracle.address().toLowerCase(), oracle.address()))).start();
        client = new CcnClient(ccn.url(), Duration.ofSeconds(20));
        fund(user);
        AlephMessage rt = DefaultRuntime.storeMessage();
        byte[] d = DefaultRuntime.descriptor();
        client.uploadFile(new ByteArrayInputStream(d), d.length, "runtime.json", rt, true, null);
    }

    void fund(EthAccount account) throws Exception {
        var content = Json.MAPPER.createObjectNode();
        content.put("chain", "ETH");
        content.putObject("balances").put(account.address(), 10_000_000);
        PostContent post = new PostContent(oracle.address(), now(), content, "balances-update", null);
        PostResult r = client.post(MessageBuilder.build(oracle, MessageType.POST, post, null, now()), true);
        if (!r.processed()) throw new IllegalStateException("funding failed: " + r.body());
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** Uploads {@code bytes} with a STORE (optionally amending {@code ref}); returns the STORE's item hash. */
    public String store(EthAccount owner, byte[] bytes, String ref) throws Exception {
        StoreContent sc = new StoreContent(owner.address(), now(), ItemType.STORAGE, ItemHashes.sha256Hex(bytes), null, null, ref,
                null, null);
        AlephMessage m = MessageBuilder.build(owner, MessageType.STORE, sc, null, now());
        var r = client.uploadFile(new ByteArrayInputStream(bytes), bytes.length, "code.zip", m, true, null);
        if (r.httpStatus() >= 300) throw new IllegalStateException("upload failed: " + r.body());
        return m.itemHash();
    }

    public static ProgramContent programContent(EthAccount owner, String codeRef, Encoding enc, String entrypoint, int seconds,
                                         int memory, boolean persistent, String runtimeRef, Map<String, String> vars,
                                         boolean useLatest) {
        return new ProgramContent(owner.address(), now(), true, Json.MAPPER.createObjectNode().put("name", "t"),
                List.of(), vars, new Environment(false, false, true, false), new Resources(1, memory, seconds, null),
                new Payment("ETH", null, "hold"), null, List.of(), null, ProgramContent.TYPE,
                new CodeContent(enc, entrypoint, codeRef, entrypoint.contains(":") ? Interface.ASGI : Interface.BINARY, null,
                        useLatest),
                new Runtime(runtimeRef, true, DefaultRuntime.COMMENT), null, null, new Triggers(true, null, persistent));
    }

    String program(EthAccount owner, String codeRef, Encoding enc, String entrypoint, int seconds, int memory,
                   boolean persistent, String runtimeRef, Map<String, String> vars) throws Exception {
        ProgramContent pc = programContent(owner, codeRef, enc, entrypoint, seconds, memory, persistent, runtimeRef, vars, true);
        AlephMessage m = MessageBuilder.build(owner, MessageType.PROGRAM, pc, null, now());
        PostResult r = client.post(m, true);
        if (!r.processed()) throw new IllegalStateException("program not processed: " + r.body());
        return m.itemHash();
    }

    String program(String codeRef, String entrypoint, int seconds, int memory, boolean persistent) throws Exception {
        return program(user, codeRef, Encoding.ZIP, entrypoint, seconds, memory, persistent, DefaultRuntime.ref(), null);
    }

    void forget(EthAccount owner, String hash) throws Exception {
        ForgetContent f = new ForgetContent(owner.address(), now(), List.of(hash), null, "test");
        PostResult r = client.post(MessageBuilder.build(owner, MessageType.FORGET, f, null, now()), true);
        if (!r.processed()) throw new IllegalStateException("forget not processed: " + r.body());
    }

    static byte[] zip(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (var e : files.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return Json.MAPPER.readTree(r.body());
    }

    static final String FASTAPI_MAIN = """
            from fastapi import FastAPI

            app = FastAPI()


            @app.get("/")
            async def root():
                return {"message": "Hello World"}
            """;

    /** A binary program: a tiny Python HTTP server on $PORT with a few behaviours to test the CRN with. */
    static final String SERVER_PY = """
            import os, sys, time, json
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
            VERSION = os.environ.get("VERSION_TAG", "v1")
            BOOT = os.urandom(8).hex()  # pids are namespace-local in a sandbox: this names one start
            class H(BaseHTTPRequestHandler):
                def reply(self, code, body):
                    data = json.dumps(body).encode()
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                def do_GET(self):
                    if self.path.startswith("/sleep"):
                        time.sleep(5)
                    if self.path.startswith("/crash"):
                        os._exit(3)
                    if self.path.startswith("/hog"):
                        hog = bytearray(400 * 1024 * 1024)
                        for i in range(0, len(hog), 4096): hog[i] = 1
                    print("served " + self.path, flush=True)
                    self.reply(200, {"path": self.path, "port": os.environ.get("PORT"), "pid": os.getpid(), "boot": BOOT,
                                     "epoch": os.environ.get("ALEPH4J_EPOCH"), "hash": os.environ.get("ALEPH4J_ITEM_HASH"),
                                     "version": VERSION, "cwd": os.getcwd()})
                def do_POST(self):
                    n = int(self.headers.get("Content-Length", "0"))
                    body = self.rfile.read(n)
                    self.reply(201, {"method": "POST", "length": len(body), "path": self.path})
                def log_message(self, *a):
                    pass
            # in a sandbox the node reaches the program through its veth; as a plain process, loopback only
            HOST = "0.0.0.0" if os.environ.get("ALEPH4J_EXECUTOR") == "sandbox" else "127.0.0.1"
            ThreadingHTTPServer((HOST, int(os.environ["PORT"])), H).serve_forever()
            """;

    static byte[] binaryZip(String version) throws IOException {
        return zip(Map.of("run.sh", "#!/bin/sh\nexport VERSION_TAG=" + version + "\nexec python3 \"$(dirname \"$0\")/server.py\"\n",
                "server.py", SERVER_PY));
    }

    /** Host pids of every process (any executor, sandboxed or not) running program {@code hash}, found by its environment. */
    static java.util.List<Long> programProcesses(String hash) {
        java.util.List<Long> pids = new java.util.ArrayList<>();
        try (var ds = java.nio.file.Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : ds) {
                try {
                    String env = new String(java.nio.file.Files.readAllBytes(p.resolve("environ")), StandardCharsets.ISO_8859_1);
                    if (env.contains("ALEPH4J_ITEM_HASH=" + hash + "\0")) pids.add(Long.parseLong(p.getFileName().toString()));
                } catch (IOException | RuntimeException ignored) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return pids;
    }

    @Override
    public void close() {
        client.close();
        ccn.close();
    }
}
