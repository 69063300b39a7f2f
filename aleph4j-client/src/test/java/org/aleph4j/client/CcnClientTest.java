package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.StoreContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** CcnClient against a real CcnNode over HTTP. */
class CcnClientTest {
    @TempDir
    Path tmp;
    final EthAccount alice = EthAccount.generate(new SecureRandom());

    private AlephMessage post(String text) throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode().put("text", text);
        double now = System.currentTimeMillis() / 1000.0;
        return MessageBuilder.build(alice, MessageType.POST, new PostContent(alice.address(), now, body, "note", null), "TEST", now);
    }

    @Test
    void postsReadsQueriesAndReportsUnknownHashesAsEmpty() throws Exception {
        try (CcnNode node = new CcnNode(CcnConfig.defaults(tmp)).start(); CcnClient ccn = new CcnClient(node.url())) {
            AlephMessage m = post("hello");
            PostResult r = ccn.post(m, true);
            assertThat(r.httpStatus()).isEqualTo(200);
            assertThat(r.messageStatus()).isEqualTo("processed");
            MessageRecord rec = ccn.message(m.itemHash()).orElseThrow();
            assertThat(rec.processed()).isTrue();
            assertThat(rec.message().content().path("content").path("text").asText()).isEqualTo("hello");
            assertThat(ccn.status(m.itemHash()).orElseThrow().status()).isEqualTo("processed");
            MessagePage page = ccn.messages(MessageQuery.builder().addresses(alice.address()).msgTypes("POST").build());
            assertThat(page.messages()).extracting(AlephMessage::itemHash).containsExactly(m.itemHash());
            assertThat(ccn.message("cd".repeat(32))).isEmpty();
        }
    }

    @Test
    void badMessageGivesCcnExceptionWithStatusAndUnreachableNodeIsFlagged() throws Exception {
        try (CcnNode node = new CcnNode(CcnConfig.defaults(tmp)).start(); CcnClient ccn = new CcnClient(node.url())) {
            AlephMessage m = post("x").withSignature("0x" + "11".repeat(65));
            PostResult r;
            try {
                r = ccn.post(m, true);
                assertThat(r.rejected() || r.httpStatus() >= 400).isTrue();
            } catch (CcnException e) {
                assertThat(e.httpStatus()).isBetween(400, 499);
            }
        }
        try (CcnClient dead = new CcnClient(java.net.URI.create("http://127.0.0.1:1"), Duration.ofSeconds(2))) {
            assertThatThrownBy(() -> dead.balance(alice.address()))
                    .isInstanceOfSatisfying(CcnException.class, e -> assertThat(e.isUnreachable()).isTrue());
        }
    }

    @Test
    void uploadStreamsAFileWithItsStoreAndDownloadVerifiesIt() throws Exception {
        try (CcnNode node = new CcnNode(CcnConfig.defaults(tmp.resolve("ccn"))).start(); CcnClient ccn = new CcnClient(node.url())) {
            byte[] data = new byte[3 * 1024 * 1024 + 17];
            new Random(7).nextBytes(data);
            Path file = tmp.resolve("blob.bin");
            Files.write(file, data);
            String fileHash = ItemHashes.sha256Hex(data);
            double now = System.currentTimeMillis() / 1000.0;
            AlephMessage store = MessageBuilder.build(alice, MessageType.STORE,
                    new StoreContent(alice.address(), now, ItemType.STORAGE, fileHash, null, null, null, null, null), "TEST", now);
            AtomicLong reported = new AtomicLong();
            UploadResult up = ccn.uploadFile(file, store, true, (sent, total) -> reported.set(sent));
            assertThat(up.hash()).isEqualTo(fileHash);
            assertThat(reported.get()).isEqualTo(data.length);
            assertThat(ccn.message(store.itemHash()).orElseThrow().status()).isEqualTo("processed");

            Path back = tmp.resolve("back.bin");
            assertThat(ccn.downloadFile(fileHash, back)).isEqualTo(data.length);
            assertThat(Files.readAllBytes(back)).isEqualTo(data);
            assertThatThrownBy(() -> ccn.downloadFile("ef".repeat(32), tmp.resolve("none")))
                    .isInstanceOfSatisfying(CcnException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
            assertThat(tmp.resolve("none")).doesNotExist();
        }
    }

    @Test
    void streamResumesAfterTheCcnRestartsAndLosesNothing() throws Exception {
        Path data = tmp.resolve("ccn");
        CcnNode node = new CcnNode(CcnConfig.defaults(data)).start();
        int port = node.port();
        List<String> seen = new CopyOnWriteArrayList<>();
        CcnClient ccn = new CcnClient(node.url());
        MessageStream stream = ccn.stream(MessageQuery.builder().addresses(alice.address()).build(), null,
                m -> seen.add(m.path("item_hash").asText()));
        try {
            await().atMost(Duration.ofSeconds(10)).until(stream::isConnected);
            AlephMessage first = post("one");
            ccn.post(first, true);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(first.itemHash()));

            node.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> !stream.isConnected());
            node = new CcnNode(CcnConfig.defaults(data).withPort(port)).start();
            // Posted while the subscriber is still reconnecting: must arrive through the catch-up.
            AlephMessage second = post("two");
            try (CcnClient poster = new CcnClient(node.url())) {
                poster.post(second, true);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> seen.contains(second.itemHash()));
            assertThat(stream.connections()).isGreaterThanOrEqualTo(2);
            assertThat(seen).containsOnlyOnce(first.itemHash(), second.itemHash());
        } finally {
            stream.close();
            ccn.close();
            node.close();
        }
    }
}
