package org.aleph4j.crn.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /status/check/fastapi} says what it really tried. Under the process executor the diagnostic
 * program shares this host's network, so what the host itself cannot reach the check must report false.
 */
class SelfCheckTest {
    @TempDir
    Path dir;

    @Test
    void theCheckReportsWhatTheProgramReallyReachedAndIs503WhenARequiredCheckFails() throws Exception {
        CrnConfig config = CrnConfig.defaults(dir.resolve("crn"), URI.create("http://127.0.0.1:9"))
                .withExecutor(CrnConfig.ExecutorKind.PROCESS);
        try (CrnNode crn = new CrnNode(config, LeaseDirectory.NONE).start()) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(crn.url()
                    + "/status/check/fastapi")).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode check = TestNetwork.json(r);
            JsonNode details = check.path("details");

            for (String k : List.of("index", "environ", "lifespan", "error_handling", "persistent_storage")) {
                assertThat(check.path(k).asBoolean()).as(k + " in " + check).isTrue();
            }
            for (String k : List.of("messages", "get_a_message", "cache")) {
                assertThat(check.path(k).asBoolean()).as(k).isFalse();
                assertThat(details.path(k).asText()).startsWith("not tested");
            }
            for (String k : List.of("dns", "ipv4", "internet")) {
                assertThat(details.path(k).asText()).as(k).endsWith(check.path(k).asBoolean() ? ": passed" : "")
                        .contains(check.path(k).asBoolean() ? "passed" : "failed");
            }
            if (!hostResolves("example.org")) assertThat(check.path("dns").asBoolean()).as(details.toString()).isFalse();
            if (!hostGetsHttps("https://aleph.im/") && !hostGetsHttps("https://ipfs.io/")) {
                assertThat(check.path("internet").asBoolean()).as(details.toString()).isFalse();
            }
            boolean healthy = SelfCheck.REQUIRED.stream().allMatch(k -> check.path(k).asBoolean());
            assertThat(r.statusCode()).isEqualTo(healthy ? 200 : 503);
        }
    }

    private static boolean hostResolves(String name) {
        try {
            InetAddress.getByName(name);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static boolean hostGetsHttps(String url) {
        try {
            HttpResponse<Void> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(4)).build()
                    .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() < 400;
        } catch (Exception e) {
            return false;
        }
    }
}
