package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an attacker observes when trying to get compute for free or to exhaust a CCN: each test starts a real
 * CCN on SQLite with small limits and talks to it over HTTP and websockets only.
 */
class CcnAbuseTest {
    static final SecureRandom RANDOM = new SecureRandom();
    /** 2020-01-01T00:00:00Z: years before upstream's free on-demand cutoff. */
    static final double YEAR_2020 = 1_577_836_800.0;

    final EthAccount oracle = EthAccount.generate(RANDOM);
    @TempDir
    Path tmp;
    final List<CcnNode> nodes = new ArrayList<>();
    final List<WebSocket> sockets = new ArrayList<>();
    final List<Socket> rawSockets = new ArrayList<>();
    CcnNode node;

    CcnNode start(CcnLimits limits) {
        node = new CcnNode(config(tmp.resolve("ccn" + nodes.size()), null, oracle).withLimits(limits)).start();
        nodes.add(node);
        return node;
    }

    @AfterEach
    void stop() throws IOException {
        for (WebSocket ws : sockets) ws.abort();
        for (Socket s : rawSockets) s.close();
        for (CcnNode n : nodes) n.close();
    }

    URI url() {
        return node.url();
    }

    void fund(EthAccount a, long amount) throws Exception {
        assertThat(post(url(), balances(oracle, Map.of(a.address(), amount)), true).status()).isEqualTo(200);
    }

    static void assertError(Resp r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json()).as(r.body()).isNotNull();
        assertThat(r.json().has("error")).as(r.body()).isTrue();
        assertThat(r.json().has("error_code")).as(r.body()).isTrue();
        assertThat(r.json().path("details").isObject()).as(r.body()).isTrue();
    }

    // ---- 1. pricing by reception time

    @Test
    void aBackDatedOnDemandProgramIsChargedAndRefusedWhenItsOwnerCannotPay() throws Exception {
        start(CcnLimits.defaults());
        EthAccount a = EthAccount.generate(RANDOM);
        AlephMessage code = store(a, ("code of " + a.address()).getBytes(), null);
        assertThat(upload(url(), code, ("code of " + a.address()).getBytes(), true).status()).isEqualTo(200);

        AlephMessage old = program(a, code.itemHash(), false, false, null, YEAR_2020);
        assertThat(old.time()).isEqualTo(YEAR_2020);
        Resp refused = post(url(), old, true);
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.json().path("message_status").asText()).isEqualTo("rejected");
        assertThat(refused.json().path("error_code").asInt()).isEqualTo(5);
        assertThat(refused.json().path("details").path("errors").get(0).path("required_balance").asText()).isEqualTo("200");
        assertThat(get(url(), "/api/v0/messages/" + old.itemHash()).json().path("error_code").asInt()).isEqualTo(5);

        fund(a, 200);
        AlephMessage paid = program(a, code.itemHash(), false, false, null, YEAR_2020);
        Resp ok = post(url(), paid, true);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(get(url(), "/api/v0/addresses/" + a.address() + "/balance").json().path("locked_amount").asDouble())
                .isEqualTo(200.0);
        // the hold is really taken: a second back-dated program does not fit in the same 200
        Resp second = post(url(), program(a, code.itemHash(), false, false, null, YEAR_2020), true);
        assertThat(second.json().path("error_code").asInt()).as(second.body()).isEqualTo(5);
    }

    // ---- 2. bounded queries and streams

    @Test
    void paginationZeroAndHugePagesAreCappedAtTheMaximumPageSize() throws Exception {
        start(CcnLimits.defaults().withMaxPageSize(5));
        EthAccount a = EthAccount.generate(RANDOM);
        for (int i = 0; i < 8; i++) assertThat(post(url(), post(a, "note", "{\"i\":" + i + "}"), true).status()).isEqualTo(200);

        for (String pagination : List.of("0", "1000", "2147483647")) {
            JsonNode page = get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&pagination=" + pagination).json();
            assertThat(page.path("messages").size()).as("pagination=" + pagination).isEqualTo(5);
            assertThat(page.path("pagination_per_page").asInt()).isEqualTo(5);
            assertThat(page.path("pagination_total").asInt()).isEqualTo(8);
        }
        JsonNode second = get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&pagination=0&page=2").json();
        assertThat(second.path("messages").size()).isEqualTo(3);
        assertThat(get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&pagination=3").json()
                .path("messages").size()).isEqualTo(3);
        assertError(get(url(), "/api/v0/messages.json?pagination=-1"), 422);
        assertError(get(url(), "/api/v0/messages.json?pagination=99999999999"), 422);
    }

    /** Collects frames and the close code and reason of one websocket. */
    static final class Client implements WebSocket.Listener {
        final List<JsonNode> frames = new CopyOnWriteArrayList<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    frames.add(Json.MAPPER.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete("error " + error);
        }

        List<String> hashes() {
            return frames.stream().map(f -> f.path("item_hash").asText()).toList();
        }
    }

    Client connect(HttpClient http, String query) {
        Client c = new Client();
        URI ws = URI.create("ws://127.0.0.1:" + node.port() + "/api/ws0/messages?" + query);
        sockets.add(http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(ws, c).join());
        return c;
    }

    @Test
    void historyReplayIsBoundedAndTheCloseReasonSaysWhereToResume() throws Exception {
        int cap = CcnLimits.MIN_STREAM_HISTORY;
        start(CcnLimits.defaults().withMaxStreamHistory(1));
        assertThat(node.config().limits().maxStreamHistory()).isEqualTo(cap);
        EthAccount a = EthAccount.generate(RANDOM);
        List<String> posted = new ArrayList<>();
        for (int i = 0; i < 2 * cap + 50; i++) {
            AlephMessage m = post(a, "note", "{\"i\":" + i + "}");
            assertThat(post(url(), m, false).status()).isEqualTo(202);
            posted.add(m.itemHash());
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> get(url(), "/api/v0/messages.json?pagination=1&addresses="
                + a.address()).json().path("pagination_total").asInt() == posted.size());

        Set<String> seen = new LinkedHashSet<>();
        List<String> delivered = new ArrayList<>();
        String from = "startDate=0";
        int truncated = 0;
        Client c = null;
        for (int connection = 0; connection < 5 && !seen.containsAll(posted); connection++) {
            Client now = connect(HTTP, "addresses=" + a.address() + "&" + from);
            c = now;
            // each connection replays at most the cap, then closes naming the resume point, or finishes and stays live
            await().atMost(Duration.ofSeconds(20)).until(() -> now.closed.isDone() || allSeen(seen, now, posted));
            assertThat(now.frames.size()).isLessThanOrEqualTo(cap);
            seen.addAll(now.hashes());
            delivered.addAll(now.hashes());
            if (now.closed.isDone()) {
                String close = now.closed.get();
                assertThat(close).startsWith("1013 ").contains("limited to " + cap + " messages");
                assertThat(now.frames).hasSize(cap);
                Matcher resume = Pattern.compile("since_sequence=([0-9]+)").matcher(close);
                assertThat(resume.find()).as(close).isTrue();
                from = "since_sequence=" + resume.group(1);
                truncated++;
            }
        }
        assertThat(seen).containsAll(posted);
        // resuming after the last sequence received repeats nothing
        assertThat(delivered).doesNotHaveDuplicates();
        assertThat(truncated).isEqualTo(2);
        Client last = c;
        assertThat(last.closed).isNotDone();
        AlephMessage live = post(a, "note", "{\"live\":true}");
        assertThat(post(url(), live, true).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> last.hashes().contains(live.itemHash()));
    }

    static boolean allSeen(Set<String> before, Client c, List<String> posted) {
        Set<String> all = new LinkedHashSet<>(before);
        all.addAll(c.hashes());
        return all.containsAll(posted);
    }

    double metric(String name) throws Exception {
        String text = get(url(), "/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(2)) : Double.NaN;
    }

    @Test
    void subscribersAreCappedPerAddressAndInTotalAndASlotFreesWhenOneLeaves() throws Exception {
        start(CcnLimits.defaults().withSubscribers(3, 2));
        HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
        Client a1 = connect(HTTP, "history=0");
        Client a2 = connect(HTTP, "history=0");
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("ccn_stream_subscribers") == 2);
        Client a3 = connect(HTTP, "history=0");
        assertThat(a3.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1013 Too many connections from this address");

        Client b1 = connect(other, "history=0");
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("ccn_stream_subscribers") == 3);
        Client b2 = connect(other, "history=0");
        assertThat(b2.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1013 Too many connections");
        assertThat(a1.closed).isNotDone();
        assertThat(a2.closed).isNotDone();
        assertThat(b1.closed).isNotDone();

        sockets.get(0).sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("ccn_stream_subscribers") == 2);
        Client b3 = connect(other, "history=0");
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("ccn_stream_subscribers") == 3);
        assertThat(b3.closed).isNotDone();
    }

    /** A websocket client that completes the handshake and then reads nothing, with a tiny receive buffer. */
    Socket stalledSubscriber(String query) throws Exception {
        Socket s = new Socket();
        rawSockets.add(s);
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", node.port()), 5000);
        s.setSoTimeout(20_000);
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        OutputStream out = s.getOutputStream();
        out.write(("GET /api/ws0/messages?" + query + " HTTP/1.1\r\nHost: 127.0.0.1:" + node.port()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("no handshake answer");
            head.write(b);
        }
        assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
        return s;
    }

    /** Reads server frames until a close frame; returns "code reason", or "eof" when the connection ended without one. */
    static String readUntilClose(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        while (true) {
            int b0 = in.read();
            if (b0 < 0) return "eof";
            int b1 = in.readUnsignedByte();
            long len = b1 & 0x7f;
            if (len == 126) len = in.readUnsignedShort();
            else if (len == 127) len = in.readLong();
            byte[] payload = in.readNBytes((int) len);
            if ((b0 & 0x0f) == 8) {
                int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 0;
                return code + " " + new String(payload, 2, Math.max(0, payload.length - 2), StandardCharsets.UTF_8);
            }
        }
    }

    @Test
    void aSubscriberThatStopsReadingIsDisconnectedWithAReasonInsteadOfBuffered() throws Exception {
        start(CcnLimits.defaults().withStreamQueue(10_000, 64 * 1024));
        EthAccount a = EthAccount.generate(RANDOM);
        Socket stalled = stalledSubscriber("addresses=" + a.address() + "&history=0");
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("ccn_stream_subscribers") == 1);
        String pad = "x".repeat(20_000);
        int[] posted = {0};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1)).until(() -> {
            assertThat(post(url(), post(a, "pad", "{\"pad\":\"" + pad + "\",\"n\":" + posted[0]++ + "}"), true).status())
                    .isEqualTo(200);
            return metric("ccn_stream_slow_disconnects_total") >= 1;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> metric("ccn_stream_subscribers") == 0);
        // far fewer frames than were published reach the socket: the rest was never buffered
        assertThat(readUntilClose(stalled)).startsWith("1013 Too slow");
        System.out.printf("slow subscriber disconnected after %d frames of 20 kB%n", posted[0]);
    }

    // ---- 3. anonymous uploads

    static Resp rawUpload(HttpClient http, URI base, byte[] body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v0/storage/add_file"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), parse(r.body()), r.body() + " retry-after=" + r.headers().firstValue("Retry-After").orElse(""));
    }

    static JsonNode parse(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (Exception e) {
            return null;
        }
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    @Test
    void anonymousUploadsAreRateLimitedPerAddressWithRetryAfter() throws Exception {
        start(CcnLimits.defaults().withAnonymousUploads(3, 0));
        assertThat(rawUpload(HTTP, url(), random(100)).status()).isEqualTo(200);
        assertThat(upload(url(), null, random(100), false).status()).isEqualTo(200);
        assertThat(postJson(url(), "/api/v0/storage/add_json", "{\"n\":1}").status()).isEqualTo(200);

        HttpResponse<String> limited = HTTP.send(HttpRequest.newBuilder(url().resolve("/api/v0/storage/add_file"))
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(random(100))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(limited.statusCode()).isEqualTo(429);
        long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 60L);
        JsonNode body = Json.MAPPER.readTree(limited.body());
        assertThat(body.path("error").asText()).contains("too many uploads");
        assertThat(body.path("error_code").asInt()).isEqualTo(-1);
        assertThat(body.path("details").path("retry_after").asLong()).isEqualTo(retryAfter);
        assertError(postJson(url(), "/api/v0/storage/add_json", "{\"n\":2}"), 429);
        assertError(upload(url(), null, random(100), false), 429);

        // another address has its own allowance, and signed uploads are not anonymous
        HttpClient other = HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
        assertThat(rawUpload(other, url(), random(100)).status()).isEqualTo(200);
        EthAccount a = EthAccount.generate(RANDOM);
        byte[] file = random(100);
        assertThat(upload(url(), store(a, file, null), file, true).status()).isEqualTo(200);
    }

    @Test
    void addJsonOverItsCapIsRefusedWith413AndTheStandardError() throws Exception {
        start(CcnLimits.defaults().withMaxJsonBytes(64 * 1024));
        String big = "{\"pad\":\"" + "y".repeat(100 * 1024) + "\"}";
        Resp declared = postJson(url(), "/api/v0/storage/add_json", big);
        assertError(declared, 413);
        assertThat(declared.json().path("details").path("max_size").asLong()).isEqualTo(64 * 1024);
        // without a Content-Length the cap holds as well
        HttpResponse<String> chunked = HTTP.send(HttpRequest.newBuilder(url().resolve("/api/v0/storage/add_json"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes()))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);
        assertThat(Json.MAPPER.readTree(chunked.body()).path("error_code").asInt()).isEqualTo(-1);
        assertThat(postJson(url(), "/api/v0/storage/add_json", "{\"small\":true}").status()).isEqualTo(200);
        assertError(postJson(url(), "/api/v0/storage/add_json", "{not json"), 422);
    }

    @Test
    void theTotalOfAnonymousFilesIsBoundedUntilAStorePinsOne() throws Exception {
        start(CcnLimits.defaults().withAnonymousUploads(1000, 100 * 1024));
        byte[] f1 = random(40 * 1024);
        byte[] f2 = random(40 * 1024);
        assertThat(rawUpload(HTTP, url(), f1).status()).isEqualTo(200);
        assertThat(rawUpload(HTTP, url(), f2).status()).isEqualTo(200);
        Resp full = rawUpload(HTTP, url(), random(40 * 1024));
        assertError(full, 429);
        assertThat(full.json().path("error").asText()).contains("full");
        assertThat(full.json().path("details").path("max_bytes").asLong()).isEqualTo(100 * 1024);
        assertThat(full.body()).containsPattern("retry-after=[1-9]");
        assertError(postJson(url(), "/api/v0/storage/add_json", "{\"pad\":\"" + "z".repeat(30 * 1024) + "\"}"), 429);
        // a file the node already has takes no more room
        assertThat(rawUpload(HTTP, url(), f1).status()).isEqualTo(200);

        // once a STORE pins a file it no longer counts against anonymous space
        EthAccount a = EthAccount.generate(RANDOM);
        assertThat(post(url(), store(a, f1, null), true).status()).isEqualTo(200);
        assertThat(rawUpload(HTTP, url(), random(40 * 1024)).status()).isEqualTo(200);
    }

    @Test
    void largeBodiesAreHandledAFewAtATimeAndTheRestAreToldToRetry() throws Exception {
        start(CcnLimits.defaults().withMaxConcurrentLargeBodies(1));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        // an upload of unknown length that sends 100 kB and then stalls, holding the only slot
        InputStream stalling = new InputStream() {
            int sent;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent >= 100 * 1024) {
                    started.countDown();
                    try {
                        if (!release.await(30, TimeUnit.SECONDS)) throw new IOException("never released");
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    return -1;
                }
                int n = Math.min(len, 100 * 1024 - sent);
                java.util.Arrays.fill(b, off, off + n, (byte) 'a');
                sent += n;
                return n;
            }
        };
        CompletableFuture<HttpResponse<String>> first = HTTP.sendAsync(HttpRequest.newBuilder(url().resolve("/api/v0/storage/add_file"))
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofInputStream(() -> stalling)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        try {
            // the client may read the stalled body before the node has its headers: until the first upload holds the
            // slot, a second one is served; once it does, every further one is told to retry
            Resp second = rawUpload(HTTP, url(), random(200 * 1024));
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (second.status() == 200 && System.nanoTime() < until) {
                Thread.sleep(50);
                second = rawUpload(HTTP, url(), random(200 * 1024));
            }
            assertError(second, 429);
            assertThat(second.body()).contains("retry-after=1");
            // small requests are not held up
            assertThat(post(url(), post(EthAccount.generate(RANDOM), "note", "{}"), true).status()).isEqualTo(200);
        } finally {
            release.countDown();
        }
        assertThat(first.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(rawUpload(HTTP, url(), random(200 * 1024)).status()).isEqualTo(200);
    }
}
