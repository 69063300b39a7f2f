package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Flow;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.message.HostLabels;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway in front of the node's API: large bodies stream both ways (fixed length, chunked,
 * {@code Expect: 100-continue}), the program's answer passes as it sent it (no Content-Type added,
 * HEAD framing), its own errors are JSON, and every other request still reaches the node's API.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayStreamingTest {
    /** POST: size and sha256 of the body (chunked decoded by hand); GET /big?n=N: N bytes; GET /bare: no Content-Type. */
    static final String PROGRAM_PY = """
            import os, json, hashlib
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
            class H(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def body_chunks(self):
                    if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                        while True:
                            n = int(self.rfile.readline().split(b";")[0], 16)
                            if n == 0:
                                while self.rfile.readline() not in (b"\\r\\n", b""):
                                    pass
                                return
                            yield self.rfile.read(n)
                            self.rfile.readline()
                    left = int(self.headers.get("Content-Length", "0"))
                    while left > 0:
                        b = self.rfile.read(min(left, 65536))
                        if not b:
                            return
                        left -= len(b)
                        yield b
                def do_POST(self):
                    h, size = hashlib.sha256(), 0
                    for b in self.body_chunks():
                        h.update(b)
                        size += len(b)
                    self.answer(json.dumps({"size": size, "sha256": h.hexdigest(), "expect": self.headers.get("Expect"),
                                            "chunked": self.headers.get("Transfer-Encoding")}).encode(), "application/json")
                def answer(self, body, ctype):
                    self.send_response(200)
                    if ctype:
                        self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                def do_HEAD(self):
                    self.answer(b"x" * 1234, "text/x-sized")
                def do_GET(self):
                    if self.path.startswith("/big"):
                        n = int(self.path.split("=")[1])
                        self.send_response(200)
                        self.send_header("Content-Type", "application/octet-stream")
                        self.send_header("Content-Length", str(n))
                        self.end_headers()
                        block = bytes(range(256)) * 256
                        while n > 0:
                            self.wfile.write(block[:min(n, len(block))])
                            n -= min(n, len(block))
                    else:
                        self.answer(b"bare", None)
                def log_message(self, *a):
                    pass
            ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
            """;
    static final int MIB = 1 << 20;

    @TempDir
    static Path dir;
    TestNetwork net;
    CrnNode crn;
    String hash;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        crn = new CrnNode(CrnConfig.defaults(dir.resolve("crn"), net.ccnUrl()).withExecutor(CrnConfig.ExecutorKind.PROCESS),
                LeaseDirectory.NONE).start();
        String code = net.store(net.user(), TestNetwork.zip(Map.of("run.sh", "#!/bin/sh\nexec python3 program.py\n",
                "program.py", PROGRAM_PY)), null);
        hash = net.program(net.zipProgram(code, "run.sh").timeoutSeconds(60.0).memory(256));
    }

    @AfterAll
    void stop() {
        if (crn != null) crn.close();
        if (net != null) net.close();
        http.close();
    }

    URI vm(String rest) {
        return URI.create(crn.url() + "/vm/" + hash + rest);
    }

    static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
        return http.send(r.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void largeBodiesOfKnownLengthStreamBothWays() throws Exception {
        byte[] upload = random(48 * MIB);
        HttpResponse<String> r = send(HttpRequest.newBuilder(vm("/sum")).POST(HttpRequest.BodyPublishers.ofByteArray(upload)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode sum = TestNetwork.json(r);
        assertThat(sum.path("size").asLong()).isEqualTo(upload.length);
        assertThat(sum.path("sha256").asText()).isEqualTo(sha256(upload));

        HttpResponse<InputStream> big = http.send(HttpRequest.newBuilder(vm("/big?n=" + 64 * MIB)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(big.statusCode()).isEqualTo(200);
        assertThat(big.headers().firstValue("Content-Length")).contains(Long.toString(64L * MIB));
        long total = 0;
        try (InputStream in = big.body()) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != (byte) ((total + i) % 256)) throw new AssertionError("byte " + (total + i) + " differs");
                }
                total += n;
            }
        }
        assertThat(total).isEqualTo(64L * MIB);
    }

    @Test
    void aChunkedUploadReachesTheProgramChunkedAndWhole() throws Exception {
        byte[] upload = random(12 * MIB + 7);
        // a publisher of unknown length: the JDK client sends it chunked
        Iterator<byte[]> parts = java.util.stream.IntStream.range(0, (upload.length + MIB - 1) / MIB)
                .mapToObj(i -> java.util.Arrays.copyOfRange(upload, i * MIB, Math.min(upload.length, (i + 1) * MIB))).iterator();
        HttpRequest.BodyPublisher chunked = HttpRequest.BodyPublishers.fromPublisher(
                (Flow.Publisher<java.nio.ByteBuffer>) s -> HttpRequest.BodyPublishers.ofByteArrays(() -> parts).subscribe(s));
        HttpResponse<String> r = send(HttpRequest.newBuilder(vm("/sum")).POST(chunked));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode sum = TestNetwork.json(r);
        assertThat(sum.path("chunked").asText()).isEqualTo("chunked");
        assertThat(sum.path("size").asLong()).isEqualTo(upload.length);
        assertThat(sum.path("sha256").asText()).isEqualTo(sha256(upload));
    }

    @Test
    void anUploadThatExpectsContinueIsAnsweredByTheGatewayAndReachesTheProgramWhole() throws Exception {
        byte[] upload = random(3 * MIB);
        HttpResponse<String> r = send(HttpRequest.newBuilder(vm("/sum")).expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode sum = TestNetwork.json(r);
        assertThat(sum.path("sha256").asText()).isEqualTo(sha256(upload));
        // the gateway answered the client's Expect; the program is not asked again
        assertThat(sum.path("expect").isNull()).isTrue();
    }

    @Test
    void theProgramsAnswerPassesAsItWasSent() throws Exception {
        HttpResponse<String> bare = send(HttpRequest.newBuilder(vm("/bare")));
        assertThat(bare.statusCode()).isEqualTo(200);
        assertThat(bare.body()).isEqualTo("bare");
        assertThat(bare.headers().allValues("Content-Type")).isEmpty();
        assertThat(bare.headers().allValues("Server")).containsExactly("aleph4j-crn/" + org.aleph4j.crn.api.NodeApi.VERSION);
        assertThat(bare.headers().firstValue("Aleph-Program-ItemHash")).contains(hash);

        HttpResponse<String> head = send(HttpRequest.newBuilder(vm("/")).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValue("Content-Length")).contains("1234");
        assertThat(head.headers().allValues("Content-Type")).containsExactly("text/x-sized");
        assertThat(head.body()).isEmpty();
    }

    @Test
    void badProgramAddressesAreJsonErrorsAndOtherRequestsReachTheNodeApi() throws Exception {
        HttpResponse<String> badRef = send(HttpRequest.newBuilder(URI.create(crn.url() + "/vm/not-a-hash/x")));
        assertThat(badRef.statusCode()).isEqualTo(400);
        assertThat(TestNetwork.json(badRef).path("error").asText()).contains("Invalid message reference");
        assertThat(TestNetwork.json(badRef).path("error_code").asInt()).isEqualTo(400);
        assertThat(badRef.headers().allValues("Content-Type")).containsExactly("application/json");

        HttpResponse<String> unknown = send(HttpRequest.newBuilder(URI.create(crn.url() + "/vm/" + "ab".repeat(32) + "/")));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(TestNetwork.json(unknown).path("details").path("item_hash").asText()).isEqualTo("ab".repeat(32));

        HttpResponse<String> about = send(HttpRequest.newBuilder(URI.create(crn.url() + "/about")));
        assertThat(about.statusCode()).isEqualTo(200);
        assertThat(about.headers().allValues("Server")).containsExactly("aleph4j-crn/" + org.aleph4j.crn.api.NodeApi.VERSION);
        assertThat(send(HttpRequest.newBuilder(URI.create(crn.url() + "/no-such-route"))).statusCode()).isEqualTo(404);

        // the program's base32 host name (the JDK client will not set Host: asked over a socket)
        String label = HostLabels.label(hash);
        assertThat(label).isNotNull();
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", crn.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("GET /bare HTTP/1.1\r\nHost: " + label + "." + crn.config().domain()
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String raw = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(raw).startsWith("HTTP/1.1 200").endsWith("\r\n\r\nbare");
        }
    }
}
