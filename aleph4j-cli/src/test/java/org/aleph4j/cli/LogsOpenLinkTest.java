package org.aleph4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import org.aleph4j.client.LogsGrant;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aleph program logs HASH --open}: a console link whose grant verifies for that hash, key and expiry; no node needed. */
class LogsOpenLinkTest {
    static final String KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    static final String HASH = ItemHashes.sha256Hex("a program");

    @TempDir
    Path tmp;

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("ALEPH_HOME", tmp.toString());
        env.put("HOME", tmp.toString());
        env.put("ALEPH_CCN_URL", "http://127.0.0.1:9"); // nothing listens: the link needs no node
        env.put("ALEPH_SCHEDULER_URL", "http://127.0.0.1:4042/");
        env.put("DISPLAY", ":0"); // in-process output is no terminal: nothing is opened
        return env;
    }

    static LogsGrant grantOf(String url, String scheduler) {
        String prefix = scheduler + "/console/#/program/" + HASH + "?grant=";
        assertThat(url).startsWith(prefix);
        return LogsGrant.decode(url.substring(prefix.length()));
    }

    @Test
    void theLinkCarriesAGrantForTheHashSignedByTheKeyFor15Minutes() {
        Instant before = Instant.now();
        Cli.Run r = Cli.run(env(), "program", "logs", HASH, "--open", "--private-key", KEY);
        assertThat(r.code()).as(r.err()).isZero();
        String url = r.out().strip();
        assertThat(url.lines()).hasSize(1);
        LogsGrant g = grantOf(url, "http://127.0.0.1:4042");
        assertThat(g.itemHash()).isEqualTo(HASH);
        assertThat(g.address()).isEqualTo(EthAccount.fromHex(KEY).address());
        assertThat(g.expiresAt()).isBetween(before.plus(Duration.ofMinutes(15)).minusSeconds(1), Instant.now().plus(Duration.ofMinutes(15)));
        assertThat(LogsGrant.verify(g.encode(), HASH, InstantSource.system(), SignatureVerifier.best())).isEqualTo(g);
        assertThat(r.err()).contains("until");
    }

    @Test
    void jsonGivesTheUrlAndTheExpiryAndTheSchedulerFlagWins() throws Exception {
        Cli.Run r = Cli.run(env(), "program", "logs", HASH, "--open", "--grant-minutes", "60", "--json", "--private-key", KEY,
                "--scheduler-url", "http://sched.example:8000");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = Json.MAPPER.readTree(r.out());
        LogsGrant g = grantOf(j.path("url").asText(), "http://sched.example:8000");
        assertThat(Instant.parse(j.path("expires").asText())).isEqualTo(g.expiresAt());
        assertThat(Duration.between(Instant.now(), g.expiresAt()).toMinutes()).isBetween(58L, 60L);
        assertThat(LogsGrant.verify(g.encode(), HASH, InstantSource.system(), SignatureVerifier.best()).address())
                .isEqualTo(EthAccount.fromHex(KEY).address());
    }

    @Test
    void grantMinutesOutsideOneToSixtyOrWithoutOpenOrOpenWithFollowIsAUsageError() {
        for (String bad : new String[]{"0", "61", "-5"}) {
            Cli.Run r = Cli.run(env(), "program", "logs", HASH, "--open", "--grant-minutes", bad, "--private-key", KEY);
            assertThat(r.code()).as(bad).isNotZero();
            assertThat(r.err()).as(bad).contains("--grant-minutes must be between 1 and 60");
            assertThat(r.out()).doesNotContain("grant=");
        }
        Cli.Run r = Cli.run(env(), "program", "logs", HASH, "--grant-minutes", "5", "--private-key", KEY);
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("--grant-minutes goes with --open");
        Cli.Run followed = Cli.run(env(), "program", "logs", HASH, "--open", "--follow", "--private-key", KEY);
        assertThat(followed.code()).isNotZero();
        assertThat(followed.err()).contains("--open prints a console link and reads no logs");
        Cli.Run badHash = Cli.run(env(), "program", "logs", "nothex", "--open", "--private-key", KEY);
        assertThat(badHash.code()).isNotZero();
        assertThat(badHash.out()).doesNotContain("grant=");
    }
}
