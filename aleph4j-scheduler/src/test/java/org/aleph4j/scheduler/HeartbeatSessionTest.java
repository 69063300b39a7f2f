package org.aleph4j.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.HeartbeatSession;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SessionGrant;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.KeySeal;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The heartbeat session channel from outside, over real HTTP: a signed heartbeat opens a session whose
 * secret only the node's key opens; later heartbeats and answers are authenticated by HMAC, with the
 * same time window and replay checks; a forged MAC, another node's session, a replayed body, a stale
 * time and a session of a previous scheduler process are refused, and the client falls back to a
 * signed heartbeat.
 */
class HeartbeatSessionTest {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    final List<SchedulerNode> nodes = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (SchedulerNode n : nodes) n.close();
    }

    SchedulerNode start(int port) {
        SchedulerNode s = new SchedulerNode(SchedulerConfig.defaults(dir.resolve("scheduler"), null)
                .withAllowedNodes(Set.of("*")).withPort(port)).start();
        nodes.add(s);
        return s;
    }

    static Heartbeat heartbeat(EthAccount node, String url, long incarnation, double time, Boolean session) {
        return new Heartbeat(node.address(), url, new Capacity(4, 8192, 100_000), List.of(), List.of(), "test",
                TestNetwork.newAccount().address().substring(2), time, new ExecutorInfo("sandbox", true), incarnation, session);
    }

    static HttpResponse<byte[]> post(SchedulerNode s, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + "/api/v1/heartbeat")).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<byte[]> signed(SchedulerNode s, EthAccount key, byte[] body) throws Exception {
        return post(s, body, SchedulerClient.SIGNATURE_HEADER, key.signEip191(body));
    }

    static HttpResponse<byte[]> inSession(SchedulerNode s, Opened o, byte[] body) throws Exception {
        return post(s, body, HeartbeatSession.SESSION_HEADER, o.id, HeartbeatSession.MAC_HEADER,
                HeartbeatSession.requestMac(o.secret, body));
    }

    record Opened(String id, byte[] secret, SessionGrant grant) {}

    /** Opens a session with a signed heartbeat, as a node does. */
    static Opened open(SchedulerNode s, EthAccount node) throws Exception {
        HttpResponse<byte[]> r = signed(s, node, bytes(heartbeat(node, "http://a.test:4020", s.incarnation(), TestNetwork.now(), true)));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(signer(r)).isEqualTo(s.address().toLowerCase());
        HeartbeatReply reply = Json.MAPPER.readValue(r.body(), HeartbeatReply.class);
        SessionGrant g = reply.session();
        assertThat(g).isNotNull();
        assertThat(g.incarnation()).isEqualTo(s.incarnation());
        byte[] secret = KeySeal.open(g.key(), node, HeartbeatSession.sealContext(g.id(), node.address(), g.incarnation()));
        return new Opened(g.id(), secret, g);
    }

    static String signer(HttpResponse<byte[]> r) {
        byte[] sig = r.headers().firstValue(SchedulerClient.SIGNATURE_HEADER).map(Signatures::parse).orElse(null);
        return sig == null ? null : SignatureVerifier.best().recover(Signatures.eip191Hash(r.body()), sig);
    }

    static byte[] bytes(Object o) throws Exception {
        return Json.MAPPER.writeValueAsBytes(o);
    }

    static int errorCode(HttpResponse<byte[]> r) throws Exception {
        JsonNode body = Json.MAPPER.readTree(r.body());
        assertThat(body.has("error")).isTrue();
        return body.path("error_code").asInt(-99);
    }

    @Test
    void aSignedHeartbeatOpensASessionWhoseSecretOnlyTheNodesKeyOpensAndLaterBeatsAreMacedBothWays() throws Exception {
        SchedulerNode s = start(0);
        EthAccount node = TestNetwork.newAccount();
        Opened o = open(s, node);
        assertThat(o.secret).hasSize(32);
        // another key cannot open it, nor can the node's key under another session's context
        assertThatThrownBy(() -> KeySeal.open(o.grant.key(), TestNetwork.newAccount(),
                HeartbeatSession.sealContext(o.id, node.address(), o.grant.incarnation()))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeySeal.open(o.grant.key(), node,
                HeartbeatSession.sealContext("00" + o.id.substring(2), node.address(), o.grant.incarnation())))
                .isInstanceOf(IllegalArgumentException.class);

        Heartbeat hb = heartbeat(node, "http://a.test:4020", s.incarnation(), TestNetwork.now(), null);
        HttpResponse<byte[]> r = inSession(s, o, bytes(hb));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue(SchedulerClient.SIGNATURE_HEADER)).isEmpty();
        String mac = r.headers().firstValue(HeartbeatSession.MAC_HEADER).orElseThrow();
        assertThat(HeartbeatSession.answerMacValid(o.secret, r.body(), mac)).isTrue();
        // a request's MAC is no answer's MAC: neither can be passed off as the other
        assertThat(HeartbeatSession.requestMacValid(o.secret, r.body(), mac)).isFalse();
        HeartbeatReply reply = Json.MAPPER.readValue(r.body(), HeartbeatReply.class);
        assertThat(reply.nonce()).isEqualTo(hb.nonce());
        assertThat(reply.incarnation()).isEqualTo(s.incarnation());
        assertThat(reply.session()).isNull();
    }

    @Test
    void aForgedMacIsRefusedAndRecordsNothing() throws Exception {
        SchedulerNode s = start(0);
        EthAccount node = TestNetwork.newAccount();
        Opened o = open(s, node);
        Heartbeat hb = heartbeat(node, "http://a.test:4020", s.incarnation(), TestNetwork.now(), null);
        byte[] body = bytes(hb);
        byte[] wrongSecret = new byte[32];
        HttpResponse<byte[]> forged = post(s, body, HeartbeatSession.SESSION_HEADER, o.id, HeartbeatSession.MAC_HEADER,
                HeartbeatSession.requestMac(wrongSecret, body));
        assertThat(forged.statusCode()).isEqualTo(401);
        assertThat(errorCode(forged)).isEqualTo(HeartbeatSession.SESSION_ERROR);
        // the MAC of another body, a truncated MAC, no MAC at all
        byte[] other = bytes(heartbeat(node, "http://evil.test:4020", s.incarnation(), TestNetwork.now(), null));
        for (String mac : List.of(HeartbeatSession.requestMac(o.secret, other), HeartbeatSession.requestMac(o.secret, body).substring(2), "zz")) {
            HttpResponse<byte[]> r = post(s, body, HeartbeatSession.SESSION_HEADER, o.id, HeartbeatSession.MAC_HEADER, mac);
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(errorCode(r)).isEqualTo(HeartbeatSession.SESSION_ERROR);
        }
        assertThat(post(s, body, HeartbeatSession.SESSION_HEADER, o.id).statusCode()).isEqualTo(401);
        // nothing was recorded: the same body with its real MAC is still fresh (its nonce unused)
        assertThat(inSession(s, o, body).statusCode()).isEqualTo(200);
    }

    @Test
    void anotherNodesSessionIsRefused() throws Exception {
        SchedulerNode s = start(0);
        EthAccount a = TestNetwork.newAccount();
        EthAccount b = TestNetwork.newAccount();
        Opened sa = open(s, a);
        Opened sb = open(s, b);
        byte[] asB = bytes(heartbeat(b, "http://b.test:4020", s.incarnation(), TestNetwork.now(), null));
        // b's body in a's session under b's own secret: the MAC does not verify
        HttpResponse<byte[]> r1 = post(s, asB, HeartbeatSession.SESSION_HEADER, sa.id, HeartbeatSession.MAC_HEADER,
                HeartbeatSession.requestMac(sb.secret, asB));
        assertThat(r1.statusCode()).isEqualTo(401);
        assertThat(errorCode(r1)).isEqualTo(HeartbeatSession.SESSION_ERROR);
        // even with a's secret (leaked), a's session speaks for a only
        HttpResponse<byte[]> r2 = inSession(s, sa, asB);
        assertThat(r2.statusCode()).isEqualTo(401);
        assertThat(errorCode(r2)).isEqualTo(HeartbeatSession.SESSION_ERROR);
        assertThat(new String(r2.body())).contains("another node");
        // an unknown session id
        HttpResponse<byte[]> r3 = post(s, asB, HeartbeatSession.SESSION_HEADER, "ff".repeat(16), HeartbeatSession.MAC_HEADER,
                HeartbeatSession.requestMac(sb.secret, asB));
        assertThat(r3.statusCode()).isEqualTo(401);
        // b's own session still works, and a node's new session ends its previous one
        assertThat(inSession(s, sb, asB).statusCode()).isEqualTo(200);
        Opened sb2 = open(s, b);
        byte[] again = bytes(heartbeat(b, "http://b.test:4020", s.incarnation(), TestNetwork.now(), null));
        assertThat(inSession(s, sb, again).statusCode()).isEqualTo(401);
        assertThat(inSession(s, sb2, again).statusCode()).isEqualTo(200);
    }

    @Test
    void aReplayedBodyAndAStaleTimeAreRefusedInASession() throws Exception {
        SchedulerNode s = start(0);
        EthAccount node = TestNetwork.newAccount();
        Opened o = open(s, node);
        byte[] body = bytes(heartbeat(node, "http://a.test:4020", s.incarnation(), TestNetwork.now(), null));
        assertThat(inSession(s, o, body).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> replay = inSession(s, o, body);
        assertThat(replay.statusCode()).isEqualTo(409);
        assertThat(errorCode(replay)).isEqualTo(4);
        byte[] stale = bytes(heartbeat(node, "http://a.test:4020", s.incarnation(), TestNetwork.now() - 120, null));
        HttpResponse<byte[]> old = inSession(s, o, stale);
        assertThat(old.statusCode()).isEqualTo(400);
        assertThat(errorCode(old)).isEqualTo(3);
        // a body naming another incarnation than its session's
        byte[] otherIncarnation = bytes(heartbeat(node, "http://a.test:4020", s.incarnation() + 1, TestNetwork.now(), null));
        assertThat(inSession(s, o, otherIncarnation).statusCode()).isEqualTo(401);
    }

    @Test
    void aSessionEndsWithItsSchedulerProcessAndTheClientFallsBackToASignedHeartbeat() throws Exception {
        SchedulerNode first = start(0);
        int port = first.port();
        String address = first.address().toLowerCase();
        EthAccount node = TestNetwork.newAccount();
        Opened o = open(first, node);
        SchedulerClient client = new SchedulerClient(List.of(first.url()), Duration.ofSeconds(5), InstantSource.system());
        // the client's first heartbeat is signed and opens a session; the next one is MACed
        HeartbeatAnswer a1 = client.heartbeat(node, URI.create("http://a.test:4020"), new Capacity(4, 8192, 100_000), List.of(),
                List.of(), "test", new ExecutorInfo("sandbox", true), first.incarnation());
        assertThat(a1).isInstanceOf(HeartbeatAnswer.Granted.class);
        assertThat(a1.signer()).isEqualTo(address);
        assertThat(client.hasSession(node.address())).isTrue();
        HeartbeatAnswer a2 = client.heartbeat(node, URI.create("http://a.test:4020"), new Capacity(4, 8192, 100_000), List.of(),
                List.of(), "test", new ExecutorInfo("sandbox", true), first.incarnation());
        assertThat(a2).isInstanceOf(HeartbeatAnswer.Granted.class);
        assertThat(a2.signer()).isEqualTo(address);
        long before = first.incarnation();

        first.close();
        nodes.remove(first);
        SchedulerNode second = start(port);
        assertThat(second.incarnation()).isGreaterThan(before);
        // the old session means nothing to the new process, whatever incarnation the body names
        for (long inc : List.of(before, second.incarnation())) {
            HttpResponse<byte[]> r = inSession(second, o, bytes(heartbeat(node, "http://a.test:4020", inc, TestNetwork.now(), null)));
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(errorCode(r)).isEqualTo(HeartbeatSession.SESSION_ERROR);
        }
        // the client's session is refused; it signs instead, learns the new incarnation (signed refusal), and opens a new session
        HeartbeatAnswer a3 = client.heartbeat(node, URI.create("http://a.test:4020"), new Capacity(4, 8192, 100_000), List.of(),
                List.of(), "test", new ExecutorInfo("sandbox", true), before);
        assertThat(a3).isInstanceOfSatisfying(HeartbeatAnswer.IncarnationChanged.class, c -> {
            assertThat(c.signer()).isEqualTo(address);
            assertThat(c.notice().incarnation()).isEqualTo(second.incarnation());
        });
        assertThat(client.hasSession(node.address())).isFalse();
        HeartbeatAnswer a4 = client.heartbeat(node, URI.create("http://a.test:4020"), new Capacity(4, 8192, 100_000), List.of(),
                List.of(), "test", new ExecutorInfo("sandbox", true), second.incarnation());
        assertThat(a4).isInstanceOfSatisfying(HeartbeatAnswer.Granted.class, g -> {
            assertThat(g.signer()).isEqualTo(address);
            assertThat(g.reply().incarnation()).isEqualTo(second.incarnation());
        });
        assertThat(client.hasSession(node.address())).isTrue();
    }

    @Test
    void aNodeThatAsksForNoSessionGetsSignedAnswersAsBefore() throws Exception {
        SchedulerNode s = start(0);
        EthAccount node = TestNetwork.newAccount();
        HttpResponse<byte[]> r = signed(s, node, bytes(heartbeat(node, "http://a.test:4020", s.incarnation(), TestNetwork.now(), null)));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(signer(r)).isEqualTo(s.address().toLowerCase());
        assertThat(Json.MAPPER.readTree(r.body()).has("session")).isFalse();
        SchedulerClient old = new SchedulerClient(List.of(s.url()), Duration.ofSeconds(5), InstantSource.system(), false);
        HeartbeatAnswer a = old.heartbeat(node, URI.create("http://a.test:4020"), new Capacity(4, 8192, 100_000), List.of(),
                List.of(), "test", new ExecutorInfo("sandbox", true), s.incarnation());
        assertThat(a.signer()).isEqualTo(s.address().toLowerCase());
        assertThat(old.hasSession(node.address())).isFalse();
    }
}
