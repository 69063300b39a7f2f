package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The funds check of {@code aleph program upload} asks the real CCN's price estimate, so the CCN's
 * {@code pricing} aggregate decides what a program needs; a CCN without the estimate gets a note and
 * still refuses a poor account itself.
 */
class FundsCheckTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;
    static Path src;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).pricingOwner().start();
        net.setPersistentProgramPrice(700);
        src = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(src.resolve("main.py"), "async def app(scope, receive, send):\n    pass\n");
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Map<String, String> account(String name, long funds) throws Exception {
        Map<String, String> env = Cli.env(net, tmp.resolve(name), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        net.fund(address(env), funds);
        return env;
    }

    private static String address(Map<String, String> env) {
        return Cli.run(env, "account", "address").out().strip();
    }

    private static JsonNode storesOf(String address) throws Exception {
        return net.client().messagesJson(MessageQuery.builder().msgTypes("STORE").owners(address)
                .msgStatuses("pending", "processed", "rejected", "forgotten").build()).path("messages");
    }

    @Test
    void theCcnsPriceDecidesWhatAPersistentProgramNeedsPerComputeUnit() throws Exception {
        Map<String, String> poor = account("home-poor", 1000);
        String poorAddress = address(poor);
        Cli.Run refused = Cli.run(poor, "program", "upload", "--persistent", "--vcpus", "2", src.toString(), "main:app");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("Error: Program creation failed due to insufficient funds: "
                + poorAddress + " has 1000 ALEPH but needs 1400 ALEPH — on a devnet: bin/aleph-node fund --ccn-url "
                + net.ccnUrl().toString().replaceAll("/$", "") + " --oracle-key ~/.aleph4j/devnet/oracle.key " + poorAddress + "\n");
        assertThat(net.messagesFrom(poorAddress)).isZero();

        // 800 would not cover aleph4j's default of 2000 per compute unit, but covers the CCN's 700.
        Map<String, String> rich = account("home-rich", 800);
        Cli.Run up = Cli.run(rich, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
        assertThat(up.code()).as(up.err()).isZero();
        assertThat(up.err()).doesNotContain("Note:");
        assertThat(Json.MAPPER.readTree(up.out()).path("status").asText()).isEqualTo("processed");
    }

    @Test
    void withoutAnEstimateTheUploadSaysSoAndTheCcnStillRefusesAPoorAccount() throws Exception {
        try (EstimatelessCcn ccn = new EstimatelessCcn(net.ccnUrl())) {
            Map<String, String> poor = new HashMap<>(account("home-no-estimate-poor", 500));
            poor.put("ALEPH_CCN_URL", ccn.url());
            String poorAddress = address(poor);
            Cli.Run refused = Cli.run(poor, "program", "upload", "--persistent", src.toString(), "main:app");
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("Note: the CCN could not estimate the price (")
                    .contains("it will check the balance when the program is posted.")
                    .contains("Program creation failed due to insufficient funds: " + poorAddress + " has ")
                    .contains(" but needs 700 ALEPH — on a devnet: bin/aleph-node fund --ccn-url ");
            // The code uploaded for the refused program is forgotten again.
            JsonNode stores = storesOf(poorAddress);
            assertThat(stores).hasSize(1);
            assertThat(net.client().message(stores.get(0).path("item_hash").asText()).orElseThrow().status()).isEqualTo("forgotten");

            Map<String, String> rich = new HashMap<>(account("home-no-estimate-rich", 800));
            rich.put("ALEPH_CCN_URL", ccn.url());
            Cli.Run up = Cli.run(rich, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
            assertThat(up.code()).as(up.err()).isZero();
            assertThat(up.err()).contains("Note: the CCN could not estimate the price (");
            assertThat(Json.MAPPER.readTree(up.out()).path("status").asText()).isEqualTo("processed");
            assertThat(ccn.estimatesRefused).isPositive();
        }
    }

    /** A CCN of an older kind: forwards everything to the real CCN but has no price estimate (404). */
    static final class EstimatelessCcn implements AutoCloseable {
        private static final Set<String> HOP_HEADERS = Set.of("host", "content-length", "connection", "transfer-encoding",
                "expect", "upgrade", "keep-alive");
        private final HttpServer server;
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final URI target;
        volatile int estimatesRefused;

        EstimatelessCcn(URI target) throws IOException {
            this.target = target;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", this::handle);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex; InputStream in = ex.getRequestBody()) {
                byte[] body = in.readAllBytes();
                if (ex.getRequestURI().getPath().equals("/api/v0/price/estimate")) {
                    estimatesRefused++;
                    reply(ex, 404, "application/json", "{\"error\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                String root = target.toString().replaceAll("/$", "");
                HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(root + ex.getRequestURI()))
                        .timeout(Duration.ofSeconds(30))
                        .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
                ex.getRequestHeaders().forEach((name, values) -> {
                    if (!HOP_HEADERS.contains(name.toLowerCase())) values.forEach(v -> req.header(name, v));
                });
                HttpResponse<byte[]> resp;
                try {
                    resp = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                reply(ex, resp.statusCode(), resp.headers().firstValue("Content-Type").orElse("application/json"), resp.body());
            }
        }

        private static void reply(HttpExchange ex, int status, String type, byte[] body) throws IOException {
            ex.getResponseHeaders().put("Content-Type", List.of(type));
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }

        @Override
        public void close() {
            server.stop(0);
            client.close();
        }
    }
}
