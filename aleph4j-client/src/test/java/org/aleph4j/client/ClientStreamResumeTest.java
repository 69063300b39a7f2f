package org.aleph4j.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.PostContent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client's {@link MessageStream} across a CCN restart: it resumes after the last sequence it delivered, so a
 * message dated far in the future by its sender does not hide the ones processed while it was disconnected.
 */
class ClientStreamResumeTest {
    static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;
    final EthAccount oracle = EthAccount.generate(RANDOM);
    final EthAccount a = EthAccount.generate(RANDOM);
    CcnNode node;
    CcnClient client;
    MessageStream stream;

    @AfterEach
    void tearDown() {
        if (stream != null) stream.close();
        if (client != null) client.close();
        if (node != null) node.close();
    }

    static AlephMessage dated(EthAccount a, double time, String json) throws Exception {
        return MessageBuilder.build(a, MessageType.POST,
                new PostContent(a.address(), time, Json.MAPPER.readTree(json), "note", null), "TEST", time);
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    static AlephMessage post(EthAccount a, String type, String json) throws Exception {
        return dated(a, now(), json);
    }

    static CcnConfig config(Path dir, String jdbcUrl, EthAccount oracle) {
        return CcnConfig.defaults(dir).withJdbcUrl(jdbcUrl).withOracleAddresses(java.util.Set.of(oracle.address()));
    }

    void posted(CcnNode at, AlephMessage m) throws Exception {
        try (CcnClient c = new CcnClient(at.url(), Duration.ofSeconds(10))) {
            assertThat(c.post(m, true).httpStatus()).isEqualTo(200);
        }
    }

    @Test
    void aStreamResumesAfterTheLastSequenceItDeliveredAcrossACcnRestart() throws Exception {
        node = new CcnNode(config(dir, null, oracle)).start();
        int port = node.port();
        client = new CcnClient(node.url(), Duration.ofSeconds(5));
        List<StreamFrame> frames = new CopyOnWriteArrayList<>();
        stream = client.subscribe(MessageQuery.builder().addresses(a.address()).build(), null, frames::add);
        await().atMost(Duration.ofSeconds(10)).until(stream::isConnected);

        AlephMessage before = post(a, "note", "{\"n\":1}");
        AlephMessage future = dated(a, 9e9, "{\"n\":2}");
        posted(node, before);
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 1);
        posted(node, future);
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 2);
        long seen = stream.lastSequence();
        assertThat(seen).isEqualTo(frames.get(1).sequence());

        // The CCN goes down; while the stream cannot reach it, the node processes more on another port.
        node.close();
        AlephMessage whileAway = post(a, "note", "{\"n\":3}");
        AlephMessage backdated = dated(a, now() - 86_400, "{\"n\":4}");
        CcnNode elsewhere = new CcnNode(config(dir, null, oracle)).start();
        try {
            posted(elsewhere, whileAway);
            posted(elsewhere, backdated);
        } finally {
            elsewhere.close();
        }
        assertThat(frames).hasSize(2);

        node = new CcnNode(config(dir, null, oracle).withPort(port)).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> frames.size() >= 4);
        assertThat(stream.connections()).isGreaterThanOrEqualTo(2);
        AlephMessage live = post(a, "note", "{\"n\":5}");
        posted(node, live);
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() >= 5);

        assertThat(frames).extracting(StreamFrame::itemHash).containsExactly(before.itemHash(), future.itemHash(),
                whileAway.itemHash(), backdated.itemHash(), live.itemHash());
        assertThat(frames).extracting(StreamFrame::sequence).isSorted().doesNotHaveDuplicates().doesNotContainNull();
        assertThat(frames.get(2).sequence()).isGreaterThan(seen);
        assertThat(stream.lastSequence()).isEqualTo(frames.get(4).sequence());
    }

    @Test
    void aStreamPositionedAheadOfTheCcnsLogReplaysThatLogFromTheStart() throws Exception {
        node = new CcnNode(config(dir, null, oracle)).start();
        client = new CcnClient(node.url(), Duration.ofSeconds(5));
        AlephMessage first = post(a, "note", "{\"n\":1}");
        posted(node, first);
        List<StreamFrame> frames = new CopyOnWriteArrayList<>();
        // a position from another log (this node's database was replaced since it was stored)
        stream = client.subscribeAfter(MessageQuery.builder().addresses(a.address()).build(), 1_000_000, frames::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 1);
        AlephMessage next = post(a, "note", "{\"n\":2}");
        posted(node, next);
        await().atMost(Duration.ofSeconds(10)).until(() -> frames.size() == 2);
        assertThat(frames).extracting(StreamFrame::itemHash).containsExactly(first.itemHash(), next.itemHash());
        assertThat(stream.lastSequence()).isEqualTo(frames.get(1).sequence()).isLessThan(1_000_000L);
    }
}
