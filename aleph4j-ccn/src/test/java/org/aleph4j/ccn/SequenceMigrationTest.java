package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A database from before the change sequence existed is numbered in reception order when the CCN upgrades it, and
 * the tags of its processed messages are collected (migrations 3 and 4).
 */
class SequenceMigrationTest {
    static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Backend.class)
    void anUpgradedDatabaseNumbersItsMessagesInReceptionOrderAndNewChangesAfterThem(Backend backend) throws Exception {
        EthAccount oracle = EthAccount.generate(RANDOM);
        EthAccount a = EthAccount.generate(RANDOM);
        String url = backend.createUrl();
        try {
            CcnNode node = new CcnNode(config(dir, url, oracle)).start();
            AlephMessage first;
            AlephMessage late;
            AlephMessage second;
            AlephMessage waiting;
            try {
                first = post(a, "note", "{\"n\":1,\"tags\":[\"migrated\",7]}");
                assertThat(post(node.url(), first, true).status()).isEqualTo(200);
                // received before `second`, processed after it
                byte[] file = ("late " + a.address()).getBytes();
                late = store(a, file, null);
                assertThat(post(node.url(), late, true).status()).isEqualTo(202);
                second = post(a, "note", "{\"n\":2}");
                assertThat(post(node.url(), second, true).status()).isEqualTo(200);
                assertThat(upload(node.url(), null, file, false).status()).isEqualTo(200);
                AlephMessage l = late;
                await().atMost(Duration.ofSeconds(20)).until(() -> status(node.url(), l.itemHash()).equals("processed"));
                // its file never comes: still pending at the upgrade
                waiting = store(a, ("never " + a.address()).getBytes(), null);
                assertThat(post(node.url(), waiting, true).status()).isEqualTo(202);
            } finally {
                node.close();
            }
            downgradeToV2(backend, url);

            CcnNode upgraded = new CcnNode(config(dir, url, oracle)).start();
            try {
                JsonNode list = get(upgraded.url(), "/api/v0/messages.json?since_sequence=0&addresses=" + a.address()).json();
                List<String> order = new ArrayList<>();
                List<Long> numbers = new ArrayList<>();
                for (JsonNode m : list.path("messages")) {
                    order.add(m.path("item_hash").asText());
                    numbers.add(m.path("sequence").asLong());
                }
                assertThat(order).containsExactly(first.itemHash(), late.itemHash(), second.itemHash());
                assertThat(numbers).isSorted().doesNotHaveDuplicates();
                assertThat(get(upgraded.url(), "/api/v0/messages/" + waiting.itemHash()).body()).doesNotContain("\"sequence\"");
                // migration 4 collected the tags of messages processed before it (string entries only)
                JsonNode tagged = get(upgraded.url(), "/api/v0/messages.json?tags=migrated&addresses=" + a.address()).json();
                assertThat(tagged.path("messages")).hasSize(1);
                assertThat(tagged.path("messages").get(0).path("item_hash").asText()).isEqualTo(first.itemHash());
                assertThat(get(upgraded.url(), "/api/v0/messages.json?tags=7&addresses=" + a.address()).json().path("messages")).isEmpty();

                AlephMessage after = post(a, "note", "{\"n\":3}");
                assertThat(post(upgraded.url(), after, true).status()).isEqualTo(200);
                JsonNode next = get(upgraded.url(), "/api/v0/messages.json?since_sequence=" + numbers.getLast()
                        + "&addresses=" + a.address()).json().path("messages");
                assertThat(next).hasSize(1);
                assertThat(next.get(0).path("item_hash").asText()).isEqualTo(after.itemHash());
            } finally {
                upgraded.close();
            }
        } finally {
            Backend.drop(url);
        }
    }

    /** Puts the schema back as migration 2 left it: no sequence column, no counter, no tags, no record of migrations 3 and 4. */
    void downgradeToV2(Backend backend, String url) throws Exception {
        String jdbc = backend == Backend.SQLITE ? "jdbc:sqlite:" + dir.resolve("ccn.sqlite") : url;
        try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement()) {
            s.execute("DROP INDEX messages_sequence");
            s.execute("ALTER TABLE messages DROP COLUMN sequence");
            s.execute("DROP TABLE sequence_counter");
            s.execute("DROP TABLE message_tags");
            s.execute("DELETE FROM flyway_schema_history WHERE version IN ('3', '4')");
        }
    }
}
