package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.aleph4j.client.LogsGrant;
import org.aleph4j.message.EthAccount;
import org.aleph4j.client.crn.OwnerAuth;
import org.aleph4j.crn.api.NodeApi;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.logs.ProgramLogs;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner's logs endpoint over real HTTP on a program with 50,000 lines of output, half of them
 * already rotated to {@code .1}: it answers a bounded tail, newest last, in upstream's shape.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogsEndpointTest {
    static final int LINES = 50_000;
    static final long T0 = 1_700_000_000_000_000L;

    @TempDir
    static Path dir;
    TestNetwork net;
    CrnNode crn;
    String hash;

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        crn = new CrnNode(CrnConfig.defaults(dir.resolve("crn"), net.ccnUrl()).withExecutor(CrnConfig.ExecutorKind.PROCESS),
                LeaseDirectory.NONE).start();
        String code = net.store(net.user(), SamplePrograms.binaryZip("v1"), null);
        hash = net.program(net.zipProgram(code, "run.sh").timeoutSeconds(10.0).memory(256));
        // What the watchdog leaves after rotating once: lines 0..29,999 in stdout.log.1, the rest in
        // stdout.log, and every 100th line also on stderr.
        ProgramLogs logs = new ProgramLogs(dir.resolve("crn"));
        try (BufferedWriter old = Files.newBufferedWriter(ProgramLogs.rotated(logs.stdout(hash)), StandardCharsets.UTF_8);
             BufferedWriter cur = Files.newBufferedWriter(logs.stdout(hash), StandardCharsets.UTF_8);
             BufferedWriter err = Files.newBufferedWriter(logs.stderr(hash), StandardCharsets.UTF_8)) {
            for (int i = 0; i < LINES; i++) {
                (i < 30_000 ? old : cur).write((T0 + 10L * i) + " line " + i + "\n");
                if (i % 100 == 0) err.write((T0 + 10L * i + 5) + " warning " + i + "\n");
            }
        }
    }

    @AfterAll
    void stop() {
        if (crn != null) crn.close();
        if (net != null) net.close();
    }

    HttpResponse<String> ask(String query) throws Exception {
        String path = "/control/machine/" + hash + "/logs";
        Map<String, String> headers = new OwnerAuth(net.user(), crn.url().getAuthority()).headers("GET", path);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(crn.url() + path + query));
        headers.forEach(b::header);
        return net.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void byDefaultTheLast1000EntriesComeNewestLastInUpstreamShape() throws Exception {
        HttpResponse<String> r = ask("");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode entries = TestNetwork.json(r);
        assertThat(entries.isArray()).isTrue();
        assertThat(entries.size()).isEqualTo(NodeApi.DEFAULT_LOG_LIMIT);
        JsonNode last = entries.get(entries.size() - 1);
        assertThat(last.path("MESSAGE").asText()).isEqualTo("line " + (LINES - 1));
        assertThat(last.path("file").asText()).isEqualTo("stdout");
        assertThat(last.path("SYSLOG_IDENTIFIER").asText()).isEqualTo("vm-" + hash + "-stdout");
        assertThat(last.path("__REALTIME_TIMESTAMP").isTextual()).isTrue();
        assertThat(last.path("__REALTIME_TIMESTAMP").asText()).isEqualTo(Long.toString(T0 + 10L * (LINES - 1)));
        long previous = Long.MIN_VALUE;
        int warnings = 0;
        for (JsonNode e : entries) {
            long t = Long.parseLong(e.path("__REALTIME_TIMESTAMP").asText());
            assertThat(t).isGreaterThan(previous);
            previous = t;
            if (e.path("file").asText().equals("stderr")) {
                warnings++;
                assertThat(e.path("SYSLOG_IDENTIFIER").asText()).isEqualTo("vm-" + hash + "-stderr");
            }
        }
        assertThat(warnings).isBetween(9, 10); // stderr lines of the same time window, merged in place
    }

    @Test
    void aLimitAcrossTheRotationBoundaryIsHonouredAndALargerOneIsCapped() throws Exception {
        JsonNode twentyFiveThousand = TestNetwork.json(ask("?limit=25000"));
        assertThat(twentyFiveThousand.size()).isEqualTo(NodeApi.MAX_LOG_LIMIT);
        assertThat(twentyFiveThousand.get(twentyFiveThousand.size() - 1).path("MESSAGE").asText()).isEqualTo("line " + (LINES - 1));

        JsonNode three = TestNetwork.json(ask("?limit=3"));
        assertThat(three.size()).isEqualTo(3);
        assertThat(three.findValuesAsText("MESSAGE")).containsExactly("line 49997", "line 49998", "line 49999");
    }

    @Test
    void aBadLimitIsAClearJsonError() throws Exception {
        for (String bad : new String[] {"?limit=0", "?limit=-5", "?limit=lots", "?limit=99999999999999999999"}) {
            HttpResponse<String> r = ask(bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            JsonNode body = TestNetwork.json(r);
            assertThat(body.path("error").asText()).as(bad).startsWith("limit must be");
            assertThat(body.has("error_code")).isTrue();
            assertThat(body.path("details").path("max").asInt()).isEqualTo(NodeApi.MAX_LOG_LIMIT);
        }
    }

    @Test
    void aStrangerStillGets403AndNoLines() throws Exception {
        String path = "/control/machine/" + hash + "/logs";
        Map<String, String> headers = new OwnerAuth(org.aleph4j.message.EthAccount.generate(new java.security.SecureRandom()),
                crn.url().getAuthority()).headers("GET", path);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(crn.url() + path + "?limit=5"));
        headers.forEach(b::header);
        HttpResponse<String> r = net.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(r.body()).doesNotContain("line ");
    }

    HttpResponse<String> withGrant(String grant) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(crn.url() + "/control/machine/" + hash + "/logs?limit=3"))
                .header(LogsGrant.HEADER, grant).build();
        return net.http().send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theOwnersLogsGrantStandsInForTheSignedHeaders() throws Exception {
        HttpResponse<String> r = withGrant(LogsGrant.create(net.user(), hash, Instant.now().plus(Duration.ofMinutes(15))).encode());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(TestNetwork.json(r).findValuesAsText("MESSAGE")).containsExactly("line 49997", "line 49998", "line 49999");
    }

    @Test
    void anyOtherGrantIs401WithTheUsualBodyAndNoLines() throws Exception {
        EthAccount stranger = EthAccount.generate(new SecureRandom());
        Instant soon = Instant.now().plus(Duration.ofMinutes(5));
        LogsGrant good = LogsGrant.create(net.user(), hash, soon);
        String otherHash = org.aleph4j.message.ItemHashes.sha256Hex("another program");
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("stranger's own grant", LogsGrant.create(stranger, hash, soon).encode());
        bad.put("stranger's signature under the owner's address",
                new LogsGrant(hash, good.address(), good.expires(),
                        stranger.signEip191(LogsGrant.signedText(hash, good.address(), good.expires()))).encode());
        bad.put("expired", LogsGrant.create(net.user(), hash, Instant.now().minusSeconds(1)).encode());
        bad.put("too far ahead", LogsGrant.create(net.user(), hash, Instant.now().plus(Duration.ofMinutes(70))).encode());
        bad.put("another program's grant", LogsGrant.create(net.user(), otherHash, soon).encode());
        bad.put("tampered expiry", new LogsGrant(hash, good.address(), good.expires() + 60, good.signature()).encode());
        bad.put("garbage", "not a grant!");
        bad.put("not json", java.util.Base64.getUrlEncoder().withoutPadding().encodeToString("hello".getBytes(StandardCharsets.UTF_8)));
        bad.put("huge", "A".repeat(LogsGrant.MAX_ENCODED_LENGTH + 1));
        for (Map.Entry<String, String> e : bad.entrySet()) {
            HttpResponse<String> r = withGrant(e.getValue());
            assertThat(r.statusCode()).as(e.getKey() + ": " + r.body()).isEqualTo(401);
            JsonNode body = TestNetwork.json(r);
            assertThat(body.path("error").asText()).as(e.getKey()).isNotBlank();
            assertThat(body.path("error_code").asInt()).as(e.getKey()).isEqualTo(401);
            assertThat(body.has("details")).as(e.getKey()).isTrue();
            assertThat(r.body()).as(e.getKey()).doesNotContain("line ");
        }
        assertThat(TestNetwork.json(withGrant(bad.get("stranger's own grant"))).path("error").asText())
                .contains("not signed by the program's owner");
        assertThat(TestNetwork.json(withGrant(bad.get("expired"))).path("error").asText()).contains("expired");
    }
}
