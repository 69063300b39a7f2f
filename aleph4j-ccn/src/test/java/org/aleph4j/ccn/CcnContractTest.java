package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.PostContent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The CCN's behaviour over real HTTP; run once per storage backend by the subclasses. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CcnContractTest {
    static final SecureRandom RANDOM = new SecureRandom();
    final EthAccount oracle = EthAccount.generate(RANDOM);
    Path dir;
    String jdbcUrl;
    CcnNode node;

    abstract Backend backend();

    @BeforeAll
    void startNode(@TempDir Path tmp) throws Exception {
        dir = tmp;
        jdbcUrl = backend().createUrl();
        node = new CcnNode(config(dir, jdbcUrl, oracle)).start();
    }

    @AfterAll
    void stopNode() throws Exception {
        if (node != null) node.close();
        Backend.drop(jdbcUrl);
    }

    URI url() {
        return node.url();
    }

    EthAccount funded(long amount) throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        fund(a, amount);
        return a;
    }

    void fund(EthAccount a, long amount) throws Exception {
        Resp r = post(url(), balances(oracle, Map.of(a.address(), amount)), true);
        assertThat(r.status()).isEqualTo(200);
    }

    /** Uploads a file with its STORE and returns the STORE's item hash. */
    String storeFile(EthAccount a, byte[] bytes) throws Exception {
        AlephMessage s = store(a, bytes, null);
        Resp r = upload(url(), s, bytes, true);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return s.itemHash();
    }

    @Test
    void postedMessageIsProcessedAndReadableByHashStatusAndContent() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        AlephMessage m = post(a, "note", "{\"text\":\"hello\"}");
        Resp r = post(url(), m, true);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("message_status").asText()).isEqualTo("processed");
        assertThat(r.json().path("publication_status").path("status").asText()).isEqualTo("success");

        Resp one = get(url(), "/api/v0/messages/" + m.itemHash());
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.json().path("status").asText()).isEqualTo("processed");
        assertThat(one.json().path("message").path("content").path("content").path("text").asText()).isEqualTo("hello");
        assertThat(one.json().path("message").path("item_content").asText()).isEqualTo(m.itemContent());
        assertThat(one.json().path("message").path("signature").asText()).isEqualTo(m.signature());
        assertThat(get(url(), "/api/v0/messages/" + m.itemHash() + "/content").json().path("text").asText()).isEqualTo("hello");
        assertThat(status(url(), m.itemHash())).isEqualTo("processed");
        assertThat(get(url(), "/api/v0/messages/" + "0".repeat(64)).status()).isEqualTo(404);
        // posting the same message again is harmless
        assertThat(post(url(), m, true).json().path("message_status").asText()).isEqualTo("processed");
    }

    @Test
    void storageMessageWaitsForItsContentUploadedWithAddJson() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        String content = "{\"address\":\"" + a.address() + "\",\"content\":{\"big\":true},\"time\":" + now() + ",\"type\":\"note\"}";
        byte[] canonical = Json.write(new java.util.TreeMap<>(Json.MAPPER.readValue(content, java.util.Map.class))).getBytes();
        String hash = ItemHashes.sha256Hex(canonical);
        AlephMessage m = new AlephMessage(org.aleph4j.message.Chain.ETH, a.address(), MessageType.POST, "TEST",
                org.aleph4j.message.ItemType.STORAGE, null, hash, null, now(), null, null, null, null, null, null);
        m = m.withSignature(a.signEip191(m.verificationBuffer()));
        Resp pending = post(url(), m, true);
        assertThat(pending.status()).isEqualTo(202);
        Resp added = postJson(url(), "/api/v0/storage/add_json", content);
        assertThat(added.status()).isEqualTo(200);
        assertThat(added.json().path("hash").asText()).isEqualTo(hash);
        String h = m.itemHash();
        await().atMost(Duration.ofSeconds(20)).until(() -> status(url(), h).equals("processed"));
        assertThat(get(url(), "/api/v0/messages/" + h).json().path("message").path("content").path("content").path("big").asBoolean()).isTrue();
    }

    @Test
    void messagesJsonFiltersAndPaginates() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        EthAccount b = EthAccount.generate(RANDOM);
        List<String> aPosts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            AlephMessage m = post(a, i % 2 == 0 ? "even" : "odd", "{\"i\":" + i + "}");
            aPosts.add(m.itemHash());
            assertThat(post(url(), m, true).status()).isEqualTo(200);
        }
        AlephMessage agg = aggregate(b, "profile", "{\"name\":\"b\"}");
        assertThat(post(url(), agg, true).status()).isEqualTo(200);

        JsonNode byA = get(url(), "/api/v0/messages.json?addresses=" + a.address()).json();
        assertThat(byA.path("pagination_total").asInt()).isEqualTo(5);
        assertThat(byA.path("pagination_item").asText()).isEqualTo("messages");
        // newest first by default
        assertThat(byA.path("messages").get(0).path("item_hash").asText()).isEqualTo(aPosts.get(4));

        JsonNode even = get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&contentTypes=even").json();
        assertThat(even.path("pagination_total").asInt()).isEqualTo(3);
        JsonNode evenSnake = get(url(), "/api/v0/messages.json?owners=" + a.address().toLowerCase() + "&content_types=even&sort_order=1").json();
        assertThat(evenSnake.path("pagination_total").asInt()).isEqualTo(3);
        assertThat(evenSnake.path("messages").get(0).path("item_hash").asText()).isEqualTo(aPosts.get(0));

        JsonNode page2 = get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&pagination=2&page=2").json();
        assertThat(page2.path("pagination_page").asInt()).isEqualTo(2);
        assertThat(page2.path("messages").size()).isEqualTo(2);
        assertThat(page2.path("messages").get(0).path("item_hash").asText()).isEqualTo(aPosts.get(2));
        JsonNode pathPage = get(url(), "/api/v0/messages/page/3.json?addresses=" + a.address() + "&pagination=2").json();
        assertThat(pathPage.path("messages").size()).isEqualTo(1);

        JsonNode aggs = get(url(), "/api/v0/messages.json?msgTypes=AGGREGATE&contentKeys=profile&addresses=" + b.address()).json();
        assertThat(aggs.path("messages").size()).isEqualTo(1);
        JsonNode hashes = get(url(), "/api/v0/messages.json?hashes=" + aPosts.get(1) + "," + agg.itemHash()).json();
        assertThat(hashes.path("pagination_total").asInt()).isEqualTo(2);
        JsonNode channel = get(url(), "/api/v0/messages.json?channels=TEST&chains=ETH&addresses=" + b.address()).json();
        assertThat(channel.path("pagination_total").asInt()).isEqualTo(1);
        JsonNode none = get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&startDate=" + (now() + 1000)).json();
        assertThat(none.path("pagination_total").asInt()).isZero();
        JsonNode bad = get(url(), "/api/v0/messages.json?msgTypes=NOPE").json();
        assertThat(bad.path("error_code").asInt()).isZero();
        assertThat(get(url(), "/api/v0/messages.json?pagination=abc").status()).isEqualTo(422);

        JsonNode data = get(url(), "/api/v0/aggregates/" + b.address() + ".json").json();
        assertThat(data.path("data").path("profile").path("name").asText()).isEqualTo("b");
        assertThat(post(url(), aggregate(b, "profile", "{\"age\":3}"), true).status()).isEqualTo(200);
        JsonNode merged = get(url(), "/api/v0/aggregates/" + b.address() + ".json?keys=profile").json();
        assertThat(merged.path("data").path("profile").path("name").asText()).isEqualTo("b");
        assertThat(merged.path("data").path("profile").path("age").asInt()).isEqualTo(3);
        assertThat(get(url(), "/api/v0/aggregates/" + a.address() + ".json").status()).isEqualTo(404);
    }

    @Test
    void programStaysPendingUntilItsCodeArrivesThenIsProcessedAndPriced() throws Exception {
        EthAccount a = funded(1000);
        byte[] code = ("code of " + a.address()).getBytes();
        AlephMessage s = store(a, code, null);
        AlephMessage p = program(a, s.itemHash(), false, false, null);
        Resp r = post(url(), p, true);
        assertThat(r.status()).isEqualTo(202);
        assertThat(r.json().path("message_status").asText()).isEqualTo("pending");
        assertThat(get(url(), "/api/v0/messages/" + p.itemHash()).json().path("messages").isArray()).isTrue();

        // the STORE alone waits for its file; the upload brings both
        assertThat(post(url(), s, false).status()).isEqualTo(202);
        assertThat(upload(url(), null, code, false).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(url(), p.itemHash()).equals("processed"));
        assertThat(status(url(), s.itemHash())).isEqualTo("processed");

        JsonNode price = get(url(), "/api/v0/price/" + p.itemHash()).json();
        assertThat(price.path("required_tokens").asDouble()).isEqualTo(200.0);
        assertThat(price.path("payment_type").asText()).isEqualTo("hold");
        assertThat(price.path("cost").asText()).isEqualTo("200.000000000000000000");
        JsonNode balance = get(url(), "/api/v0/addresses/" + a.address() + "/balance").json();
        assertThat(balance.path("balance").asDouble()).isEqualTo(1000.0);
        assertThat(balance.path("locked_amount").asDouble()).isEqualTo(200.0);

        JsonNode estimate = postJson(url(), "/api/v0/price/estimate",
                "{\"message\":" + Json.write(program(a, s.itemHash(), true, false, null).toJson()) + "}").json();
        assertThat(estimate.path("required_tokens").asDouble()).isEqualTo(2000.0);

        byte[] downloaded = HTTP.send(HttpRequest.newBuilder(url().resolve("/api/v0/storage/raw/" + ItemHashes.sha256Hex(code))).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body();
        assertThat(downloaded).isEqualTo(code);
        HttpResponse<Void> head = HTTP.send(HttpRequest.newBuilder(url().resolve("/api/v0/storage/raw/" + ItemHashes.sha256Hex(code)))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.headers().firstValueAsLong("Content-Length").orElse(-1)).isEqualTo(code.length);
        assertThat(get(url(), "/api/v0/storage/raw/" + "ab".repeat(32)).status()).isEqualTo(404);
    }

    @Test
    void forgetHidesTheTargetAndOnlyItsOwnerMayForget() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        EthAccount stranger = EthAccount.generate(RANDOM);
        AlephMessage m = post(a, "note", "{\"secret\":1}");
        assertThat(post(url(), m, true).status()).isEqualTo(200);

        Resp denied = post(url(), forget(stranger, m.itemHash()), true);
        assertThat(denied.status()).isEqualTo(422);
        assertThat(denied.json().path("error_code").asInt()).isEqualTo(2);
        assertThat(status(url(), m.itemHash())).isEqualTo("processed");

        AlephMessage f = forget(a, m.itemHash());
        assertThat(post(url(), f, true).status()).isEqualTo(200);
        JsonNode got = get(url(), "/api/v0/messages/" + m.itemHash()).json();
        assertThat(got.path("status").asText()).isEqualTo("forgotten");
        assertThat(got.path("forgotten_by").get(0).asText()).isEqualTo(f.itemHash());
        assertThat(got.path("message").has("content")).isFalse();
        assertThat(got.path("message").has("item_content")).isFalse();
        assertThat(get(url(), "/api/v0/messages.json?hashes=" + m.itemHash()).json().path("pagination_total").asInt()).isZero();
        assertThat(get(url(), "/api/v0/messages/" + m.itemHash() + "/content").status()).isEqualTo(422);

        Resp forgetForget = post(url(), forget(a, f.itemHash()), true);
        assertThat(forgetForget.json().path("error_code").asInt()).isEqualTo(502);

        // a forget of an unknown message waits for it
        AlephMessage later = post(a, "note", "{\"later\":true}");
        AlephMessage f2 = forget(a, later.itemHash());
        assertThat(post(url(), f2, false).status()).isEqualTo(202);
        // The waiting forget may already have hidden it when the sync answer is written: 200 or 410.
        assertThat(post(url(), later, true).status()).isIn(200, 410);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(url(), later.itemHash()).equals("forgotten"));
    }

    @Test
    void forgettingAStoreDeletesItsFileButAStoreUsedByAProgramCannotBeForgotten() throws Exception {
        EthAccount a = funded(500);
        byte[] bytes = ("file of " + a.address()).getBytes();
        String storeHash = storeFile(a, bytes);
        Path onDisk = dir.resolve("files").resolve(ItemHashes.sha256Hex(bytes).substring(0, 2)).resolve(ItemHashes.sha256Hex(bytes));
        assertThat(onDisk).exists();
        AlephMessage p = program(a, storeHash, false, false, null);
        assertThat(post(url(), p, true).status()).isEqualTo(200);
        Resp used = post(url(), forget(a, storeHash), true);
        assertThat(used.json().path("error_code").asInt()).isEqualTo(503);
        assertThat(post(url(), forget(a, p.itemHash()), true).status()).isEqualTo(200);
        assertThat(get(url(), "/api/v0/addresses/" + a.address() + "/balance").json().path("locked_amount").asDouble()).isZero();
        assertThat(post(url(), forget(a, storeHash), true).status()).isEqualTo(200);
        assertThat(onDisk).doesNotExist();
        assertThat(get(url(), "/api/v0/storage/raw/" + ItemHashes.sha256Hex(bytes)).status()).isEqualTo(404);
    }

    @Test
    void replacesNeedsAnAmendableProgramOfTheSameOwner() throws Exception {
        EthAccount a = funded(5000);
        EthAccount b = funded(5000);
        String code = storeFile(a, ("code " + a.address()).getBytes());
        AlephMessage fixed = program(a, code, false, false, null);
        AlephMessage amendable = program(a, code, false, true, null);
        assertThat(post(url(), fixed, true).status()).isEqualTo(200);
        assertThat(post(url(), amendable, true).status()).isEqualTo(200);

        Resp notAllowed = post(url(), program(a, code, false, true, fixed.itemHash()), true);
        assertThat(notAllowed.json().path("error_code").asInt()).isEqualTo(302);
        Resp otherOwner = post(url(), program(b, code, false, true, amendable.itemHash()), true);
        assertThat(otherOwner.json().path("error_code").asInt()).isEqualTo(2);
        AlephMessage replacement = program(a, code, false, true, amendable.itemHash());
        assertThat(post(url(), replacement, true).json().path("message_status").asText()).isEqualTo("processed");
        Resp missing = post(url(), program(a, code, false, true, "ef".repeat(32)), true);
        assertThat(missing.status()).isEqualTo(202);
        assertThat(get(url(), "/api/v0/messages.json?refs=" + amendable.itemHash() + "&msgTypes=PROGRAM").json()
                .path("messages").get(0).path("item_hash").asText()).isEqualTo(replacement.itemHash());
    }

    @Test
    void badInputIsRefusedWithItsCodeAndLeavesNoTrace() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        Resp malformed = postJson(url(), "/api/v0/messages", "{not json");
        assertThat(malformed.status()).isEqualTo(422);
        assertThat(malformed.json().path("error_code").asInt()).isZero();
        assertThat(malformed.json().has("error")).isTrue();
        assertThat(malformed.json().has("details")).isTrue();

        AlephMessage good = post(a, "note", "{\"x\":1}");
        AlephMessage wrongHash = new AlephMessage(good.chain(), good.sender(), good.type(), good.channel(), good.itemType(),
                good.itemContent().replace("1", "2"), good.itemHash(), null, good.time(), good.signature(), null, null, null, null, null);
        assertRefused(post(url(), wrongHash, true), 422, 0, good.itemHash());

        AlephMessage badSig = good.withSignature(post(EthAccount.generate(RANDOM), "note", "{}").signature());
        assertRefused(post(url(), badSig, true), 422, 1, good.itemHash());

        String huge = "{\"address\":\"" + a.address() + "\",\"time\":1.0,\"type\":\"t\",\"content\":\"" + "a".repeat(200_001) + "\"}";
        AlephMessage tooLong = new AlephMessage(good.chain(), a.address(), MessageType.POST, "TEST", good.itemType(), huge,
                ItemHashes.sha256Hex(huge), null, now(), null, null, null, null, null, null);
        tooLong = tooLong.withSignature(a.signEip191(tooLong.verificationBuffer()));
        assertRefused(post(url(), tooLong, true), 422, 0, tooLong.itemHash());
        Resp tooBig = postJson(url(), "/api/v0/messages", "{\"message\":{\"x\":\"" + "a".repeat(3_000_000) + "\"}}");
        assertThat(tooBig.status()).isEqualTo(413);

        String unknownType = Json.write(good.forSubmission().toJson()).replace("\"type\":\"POST\"", "\"type\":\"VOTE\"");
        assertRefused(postJson(url(), "/api/v0/messages", "{\"message\":" + unknownType + "}"), 422, 0, good.itemHash());
        String noSender = Json.write(good.forSubmission().toJson()).replace("\"sender\"", "\"sendr\"");
        assertRefused(postJson(url(), "/api/v0/messages", "{\"message\":" + noSender + "}"), 422, 0, good.itemHash());
        AlephMessage noPostType = CcnHarness.sign(a, MessageType.POST, new PostContent(a.address(), now(), null, "t", null));
        String missingField = noPostType.itemContent().replace(",\"type\":\"t\"", "");
        AlephMessage missing = new AlephMessage(noPostType.chain(), a.address(), MessageType.POST, "TEST", noPostType.itemType(),
                missingField, ItemHashes.sha256Hex(missingField), null, now(), null, null, null, null, null, null);
        missing = missing.withSignature(a.signEip191(missing.verificationBuffer()));
        assertRefused(post(url(), missing, true), 422, 0, missing.itemHash());

        // insufficient balance: rejected with amounts, no hold taken, not listed
        EthAccount poor = funded(100);
        String code = storeFile(poor, ("c" + poor.address()).getBytes());
        AlephMessage expensive = program(poor, code, true, false, null);
        Resp noFunds = post(url(), expensive, true);
        assertThat(noFunds.status()).isEqualTo(422);
        assertThat(noFunds.json().path("error_code").asInt()).isEqualTo(5);
        JsonNode err = noFunds.json().path("details").path("errors").get(0);
        assertThat(err.path("required_balance").asText()).isEqualTo("2000");
        assertThat(err.path("account_balance").asText()).isEqualTo("100");
        assertThat(get(url(), "/api/v0/messages.json?addresses=" + poor.address() + "&msgTypes=PROGRAM").json()
                .path("pagination_total").asInt()).isZero();
        assertThat(get(url(), "/api/v0/addresses/" + poor.address() + "/balance").json().path("locked_amount").asDouble()).isZero();
        JsonNode rejected = get(url(), "/api/v0/messages/" + expensive.itemHash()).json();
        assertThat(rejected.path("status").asText()).isEqualTo("rejected");
        assertThat(rejected.path("error_code").asInt()).isEqualTo(5);

        // file whose hash is not the STORE's: 422, nothing on disk
        byte[] declared = "declared".getBytes();
        byte[] sent = ("other bytes " + a.address()).getBytes();
        AlephMessage s = store(a, declared, null);
        Resp mismatch = upload(url(), s, sent, true);
        assertThat(mismatch.status()).isEqualTo(422);
        assertThat(mismatch.json().path("error").asText()).contains("File hash does not match");
        assertThat(status(url(), s.itemHash())).isEqualTo("unknown");
        assertThat(filesOnDisk()).doesNotContain(ItemHashes.sha256Hex(sent));

        // STORE with a bad signature: 403
        AlephMessage badStore = store(a, sent, null).withSignature(good.signature());
        assertThat(upload(url(), badStore, sent, true).status()).isEqualTo(403);
        assertThat(filesOnDisk()).doesNotContain(ItemHashes.sha256Hex(sent));

        // oversized files: 413 with and without a message, nothing on disk
        byte[] big = new byte[5 * 1024 * 1024];
        RANDOM.nextBytes(big);
        Resp bigAuth = upload(url(), store(a, big, null), big, true);
        assertThat(bigAuth.status()).isEqualTo(413);
        byte[] mid = new byte[2 * 1024 * 1024];
        RANDOM.nextBytes(mid);
        assertThat(upload(url(), null, mid, false).status()).isEqualTo(413);
        assertThat(filesOnDisk()).doesNotContain(ItemHashes.sha256Hex(big), ItemHashes.sha256Hex(mid));
        assertThat(tmpFiles()).isEmpty();
    }

    void assertRefused(Resp r, int http, int code, String hash) throws Exception {
        assertThat(r.status()).as(r.body()).isEqualTo(http);
        assertThat(r.json().path("error_code").asInt()).as(r.body()).isEqualTo(code);
        assertThat(status(url(), hash)).isEqualTo("unknown");
    }

    List<String> filesOnDisk() throws Exception {
        try (Stream<Path> s = Files.walk(dir.resolve("files"))) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
        }
    }

    List<Path> tmpFiles() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("files").resolve("tmp"))) {
            return s.toList();
        }
    }

    /** Collects websocket text frames. */
    static final class Frames implements WebSocket.Listener {
        final List<JsonNode> frames = new CopyOnWriteArrayList<>();
        final java.util.concurrent.CompletableFuture<String> closed = new java.util.concurrent.CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        List<Long> sequences() {
            return frames.stream().map(f -> f.path("sequence").asLong(-1)).toList();
        }

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

        List<String> hashes() {
            return frames.stream().filter(f -> !f.has("status")).map(f -> f.path("item_hash").asText()).toList();
        }
    }

    WebSocket connect(String query, Frames frames) {
        URI ws = URI.create("ws://127.0.0.1:" + node.port() + "/api/ws0/messages?" + query);
        return HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5)).buildAsync(ws, frames).join();
    }

    /**
     * Connects and waits until the subscription is live: the client's handshake can complete before the server
     * has registered the subscriber, so a marker message from {@code a} is posted and its frame awaited (with
     * {@code history=1} it arrives even when it was processed just before the subscription existed).
     */
    WebSocket connectLive(EthAccount a, String query, Frames frames) throws Exception {
        WebSocket ws = connect("addresses=" + a.address() + "&" + query, frames);
        AlephMessage marker = post(a, "marker", "{}");
        assertThat(post(url(), marker, true).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.hashes().contains(marker.itemHash()));
        return ws;
    }

    @Test
    void balanceDropMovesNewestProgramsToRemovingAnnouncedOnTheStreamAndBack() throws Exception {
        EthAccount a = funded(450);
        String code = storeFile(a, ("code " + a.address()).getBytes());
        AlephMessage first = program(a, code, false, false, null);
        AlephMessage second = program(a, code, false, false, null);
        assertThat(second.itemHash()).isNotEqualTo(first.itemHash());
        assertThat(post(url(), first, true).status()).isEqualTo(200);
        assertThat(post(url(), second, true).status()).isEqualTo(200);
        Frames frames = new Frames();
        WebSocket ws = connectLive(a, "history=1", frames);
        try {
            fund(a, 250);
            await().atMost(Duration.ofSeconds(10)).until(() -> status(url(), second.itemHash()).equals("removing"));
            assertThat(status(url(), first.itemHash())).isEqualTo("processed");
            JsonNode got = get(url(), "/api/v0/messages/" + second.itemHash()).json();
            assertThat(got.path("reason").asText()).isEqualTo("balance_insufficient");
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.frames.stream()
                    .anyMatch(f -> f.path("item_hash").asText().equals(second.itemHash()) && f.path("status").asText().equals("removing")));
            fund(a, 400);
            await().atMost(Duration.ofSeconds(10)).until(() -> status(url(), second.itemHash()).equals("processed"));
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.frames.stream()
                    .anyMatch(f -> f.path("item_hash").asText().equals(second.itemHash()) && f.path("status").asText().equals("processed")));
        } finally {
            ws.abort();
        }
    }

    @Test
    void streamDeliversLiveMessagesAndForgetFramesAndReconnectWithStartDateLosesNothing() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        Frames live = new Frames();
        double start = now();
        WebSocket ws = connectLive(a, "history=1", live);
        AlephMessage m1 = post(a, "note", "{\"n\":1}");
        try {
            assertThat(post(url(), m1, true).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> live.hashes().contains(m1.itemHash()));
            AlephMessage f = forget(a, m1.itemHash());
            assertThat(post(url(), f, true).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> live.frames.stream()
                    .anyMatch(x -> x.path("item_hash").asText().equals(m1.itemHash()) && x.path("status").asText().equals("forgotten")));
        } finally {
            ws.abort();
        }
        // while disconnected, more messages arrive; posting goes on during the reconnect too
        List<String> posted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            AlephMessage m = post(a, "note", "{\"gap\":" + i + "}");
            posted.add(m.itemHash());
            assertThat(post(url(), m, true).status()).isEqualTo(200);
        }
        ExecutorService ex = Executors.newSingleThreadExecutor();
        Future<?> poster = ex.submit(() -> {
            for (int i = 0; i < 20; i++) {
                AlephMessage m = post(a, "note", "{\"during\":" + i + "}");
                posted.add(m.itemHash());
                post(url(), m, false);
            }
            return null;
        });
        Frames again = new Frames();
        WebSocket ws2 = connect("addresses=" + a.address() + "&startDate=" + start, again);
        try {
            poster.get();
            List<String> expected = new ArrayList<>(posted);
            expected.add(0, m1.itemHash());
            await().atMost(Duration.ofSeconds(20)).until(() -> new HashSet<>(again.hashes()).containsAll(posted));
            List<String> hashes = again.hashes();
            assertThat(hashes).doesNotHaveDuplicates();
            assertThat(hashes).containsAll(posted);
        } finally {
            ws2.abort();
            ex.shutdownNow();
        }
    }

    @Test
    void twentyConcurrentClientsLoseAndDuplicateNothing() throws Exception {
        int clients = 20;
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Set<String> sent = ConcurrentHashMap.newKeySet();
        AtomicInteger errors = new AtomicInteger();
        List<EthAccount> accounts = new ArrayList<>();
        for (int i = 0; i < clients; i++) accounts.add(EthAccount.generate(RANDOM));
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (EthAccount acct : accounts) {
                fs.add(ex.submit(() -> {
                    int i = 0;
                    while (System.nanoTime() < until) {
                        AlephMessage m = post(acct, "load", "{\"i\":" + i++ + "}");
                        Resp r = post(url(), m, i % 5 == 0);
                        if (r.status() != 200 && r.status() != 202) errors.incrementAndGet();
                        sent.add(m.itemHash());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
        assertThat(errors.get()).isZero();
        assertThat(sent).isNotEmpty();
        String addresses = String.join(",", accounts.stream().map(EthAccount::address).toList());
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() ->
                get(url(), "/api/v0/messages.json?pagination=1&addresses=" + addresses).json().path("pagination_total").asInt() == sent.size());
        // pages of the largest size, oldest first, list every message once
        Set<String> listed = new HashSet<>();
        int count = 0;
        for (int page = 1; ; page++) {
            JsonNode p = get(url(), "/api/v0/messages.json?pagination=0&sortOrder=1&page=" + page + "&addresses=" + addresses).json();
            for (JsonNode m : p.path("messages")) listed.add(m.path("item_hash").asText());
            count += p.path("messages").size();
            if (p.path("messages").size() < p.path("pagination_per_page").asInt()) break;
        }
        assertThat(count).isEqualTo(sent.size());
        assertThat(listed).isEqualTo(sent);
        System.out.printf("concurrency: %d messages from %d clients in 10 s%n", sent.size(), clients);
    }

    // ---- the change sequence (aleph4j extension)

    /** A POST by {@code a} dated {@code time} by its sender (content and envelope). */
    static AlephMessage postDated(EthAccount a, double time, String json) throws Exception {
        return org.aleph4j.message.MessageBuilder.build(a, MessageType.POST,
                new PostContent(a.address(), time, Json.MAPPER.readTree(json), "note", null), "TEST", time);
    }

    long sequenceOf(String hash) throws Exception {
        JsonNode m = get(url(), "/api/v0/messages/" + hash).json().path("message");
        assertThat(m.path("sequence").isIntegralNumber()).as("sequence of %s: %s", hash, m).isTrue();
        return m.path("sequence").asLong();
    }

    List<String> hashesSince(String query) throws Exception {
        Resp r = get(url(), "/api/v0/messages.json?" + query);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        for (JsonNode m : r.json().path("messages")) out.add(m.path("item_hash").asText());
        return out;
    }

    @Test
    void sequenceFollowsTheOrderMessagesWereProcessedInNotTheTimeTheirSendersChose() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        AlephMessage future = postDated(a, 9e9, "{\"when\":\"far future\"}");
        assertThat(post(url(), future, true).status()).isEqualTo(200);
        AlephMessage backdated = postDated(a, now() - 86_400, "{\"when\":\"yesterday\"}");
        assertThat(post(url(), backdated, true).status()).isEqualTo(200);
        long first = sequenceOf(future.itemHash());
        assertThat(sequenceOf(backdated.itemHash())).isGreaterThan(first);

        // a STORE waiting for its file is pending, without a sequence; it gets one when it is processed, after
        // a message that was processed meanwhile although it arrived later
        byte[] file = ("late file " + a.address()).getBytes();
        AlephMessage late = store(a, file, null);
        assertThat(post(url(), late, true).status()).isEqualTo(202);
        assertThat(get(url(), "/api/v0/messages/" + late.itemHash()).body()).doesNotContain("\"sequence\"");
        AlephMessage meanwhile = post(a, "note", "{\"meanwhile\":true}");
        assertThat(post(url(), meanwhile, true).status()).isEqualTo(200);
        assertThat(upload(url(), null, file, false).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(url(), late.itemHash()).equals("processed"));
        assertThat(sequenceOf(late.itemHash())).isGreaterThan(sequenceOf(meanwhile.itemHash()));

        String mine = "addresses=" + a.address();
        assertThat(hashesSince(mine + "&since_sequence=" + (first - 1)))
                .containsExactly(future.itemHash(), backdated.itemHash(), meanwhile.itemHash(), late.itemHash());
        assertThat(hashesSince(mine + "&sinceSequence=" + first))
                .containsExactly(backdated.itemHash(), meanwhile.itemHash(), late.itemHash());
        assertThat(hashesSince(mine + "&since_sequence=" + (first - 1) + "&sortOrder=-1"))
                .containsExactly(late.itemHash(), meanwhile.itemHash(), backdated.itemHash(), future.itemHash());
        assertThat(hashesSince(mine + "&since_sequence=" + (first - 1) + "&pagination=2&page=2"))
                .containsExactly(meanwhile.itemHash(), late.itemHash());
        // upstream's time order is unchanged: the far-future message stays first, newest first
        assertThat(hashesSince(mine).get(0)).isEqualTo(future.itemHash());

        // a change of status takes a new number: forgetting a message moves it after everything before
        long before = sequenceOf(late.itemHash());
        AlephMessage forget = forget(a, backdated.itemHash());
        assertThat(post(url(), forget, true).status()).isEqualTo(200);
        assertThat(hashesSince(mine + "&since_sequence=" + before)).containsExactly(forget.itemHash());
        assertThat(hashesSince(mine + "&since_sequence=" + before + "&msgStatuses=forgotten")).containsExactly(backdated.itemHash());
        JsonNode gone = get(url(), "/api/v0/messages/" + backdated.itemHash()).json().path("message");
        assertThat(gone.path("sequence").asLong()).isGreaterThan(before);
    }

    @Test
    void badSinceSequenceValuesAreRefusedWithAJsonError() throws Exception {
        for (String bad : List.of("-1", "abc", "1.5", "99999999999999999999")) {
            Resp r = get(url(), "/api/v0/messages.json?since_sequence=" + bad);
            assertThat(r.status()).as(bad).isEqualTo(422);
            assertThat(r.json().path("error").asText()).contains("since_sequence");
            assertThat(r.json().has("error_code")).isTrue();
            assertThat(r.json().has("details")).isTrue();
        }
        Resp sorted = get(url(), "/api/v0/messages.json?since_sequence=0&sortBy=time");
        assertThat(sorted.status()).isEqualTo(422);
        assertThat(sorted.json().path("error").asText()).contains("sortBy");

        Frames both = new Frames();
        WebSocket ws = connect("since_sequence=0&startDate=0", both);
        try {
            assertThat(both.closed.get(10, java.util.concurrent.TimeUnit.SECONDS)).startsWith("1008 ").contains("not both");
            Frames negative = new Frames();
            connect("since_sequence=-4", negative);
            assertThat(negative.closed.get(10, java.util.concurrent.TimeUnit.SECONDS)).startsWith("1008 ").contains("since_sequence");
        } finally {
            ws.abort();
        }
    }

    @Test
    void websocketReplaysEveryChangeAfterASequenceInOrderThenFollowsLive() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        AlephMessage future = postDated(a, 9e9, "{\"n\":0}");
        assertThat(post(url(), future, true).status()).isEqualTo(200);
        long from = sequenceOf(future.itemHash());
        AlephMessage kept = post(a, "note", "{\"n\":1}");
        AlephMessage dropped = post(a, "note", "{\"n\":2}");
        assertThat(post(url(), kept, true).status()).isEqualTo(200);
        assertThat(post(url(), dropped, true).status()).isEqualTo(200);
        AlephMessage forget = forget(a, dropped.itemHash());
        assertThat(post(url(), forget, true).status()).isEqualTo(200);

        Frames frames = new Frames();
        WebSocket ws = connect("addresses=" + a.address() + "&since_sequence=" + from, frames);
        try {
            // history: what changed after `from`, in sequence order, the forgotten message with its status
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.frames.size() >= 3);
            assertThat(frames.frames).extracting(f -> f.path("item_hash").asText())
                    .containsExactly(kept.itemHash(), dropped.itemHash(), forget.itemHash());
            assertThat(frames.frames.get(1).path("status").asText()).isEqualTo("forgotten");
            assertThat(frames.frames.get(0).has("status")).isFalse();
            AlephMessage live = post(a, "note", "{\"n\":3}");
            assertThat(post(url(), live, true).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.hashes().contains(live.itemHash()));
            assertThat(frames.sequences()).isSorted().doesNotHaveDuplicates().allMatch(n -> n > from);
            assertThat(frames.frames).hasSize(4);
            assertThat(frames.frames.get(3).path("sequence").asLong()).isEqualTo(sequenceOf(live.itemHash()));
        } finally {
            ws.abort();
        }
    }

    @Test
    void restartKeepsEverythingAndPendingMessagesStillComplete() throws Exception {
        EthAccount a = funded(1000);
        AlephMessage kept = post(a, "note", "{\"kept\":true}");
        assertThat(post(url(), kept, true).status()).isEqualTo(200);
        byte[] code = ("restart code " + a.address()).getBytes();
        AlephMessage s = store(a, code, null);
        AlephMessage p = program(a, s.itemHash(), false, false, null);
        assertThat(post(url(), p, false).status()).isEqualTo(202);
        assertThat(post(url(), s, false).status()).isEqualTo(202);

        node.close();
        node = new CcnNode(config(dir, jdbcUrl, oracle)).start();

        assertThat(status(url(), kept.itemHash())).isEqualTo("processed");
        assertThat(get(url(), "/api/v0/addresses/" + a.address() + "/balance").json().path("balance").asDouble()).isEqualTo(1000.0);
        assertThat(status(url(), p.itemHash())).isEqualTo("pending");
        assertThat(upload(url(), null, code, false).status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(url(), p.itemHash()).equals("processed"));
        assertThat(status(url(), s.itemHash())).isEqualTo("processed");
    }
}
