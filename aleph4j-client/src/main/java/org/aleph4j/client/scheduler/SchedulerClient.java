package org.aleph4j.client.scheduler;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;

/**
 * Typed HTTP client of the aleph4j scheduler.
 *
 * <p>CRNs use {@link #heartbeat} and {@link #release}: both sign the exact body bytes with the node
 * key (EIP-191, header {@value #SIGNATURE_HEADER}) and add a fresh nonce and the current time. A
 * heartbeat's answer is signed by the scheduler's key in the same header; {@link #heartbeat} reports
 * the address that signed it, and the CRN decides whether to trust it. The CLI uses the read API ({@link #allocation}, {@link #vm}, {@link #vms}, {@link #nodes}).
 *
 * <p>Heartbeats use a session when the scheduler offers one ({@link HeartbeatSession}): the first
 * heartbeat of a node is signed and asks for one; while the session lasts, later heartbeats and their
 * answers are authenticated by HMAC, the answer reported as signed by the key that signed the answer
 * which opened the session. An unknown or expired session, or a new incarnation, falls back to a signed
 * heartbeat that opens a new one.
 *
 * <p>Several base URLs may be given (a leader and its standbys): a call goes to the last one that
 * answered and moves on to the next when a scheduler is unreachable or answers 503 (standby). Every
 * call has a timeout. Thread-safe.
 */
public final class SchedulerClient {
    /** Header holding the EIP-191 signature of the request body. */
    public static final String SIGNATURE_HEADER = "X-Aleph4j-Signature";

    private static final SecureRandom RANDOM = new SecureRandom();
    private final List<URI> baseUrls;
    private final Duration timeout;
    private final InstantSource wallClock;
    private final HttpClient http;
    private final boolean useSessions;
    /** Open heartbeat sessions by lowercase node address. */
    private final java.util.Map<String, Session> sessions = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile int preferred;

    /** A session this client holds for a node: renewed (by a signed heartbeat) once {@code renewAtNanos} passed. */
    private record Session(String id, byte[] secret, long incarnation, String signer, long renewAtNanos) {}

    /** A client of one scheduler with a 5 s timeout per call. */
    public SchedulerClient(URI baseUrl) {
        this(List.of(baseUrl), Duration.ofSeconds(5), InstantSource.system());
    }

    /**
     * @param baseUrls  schedulers to try in order (leader first)
     * @param timeout   bound of each HTTP call (connect and response)
     * @param wallClock wall clock for the {@code time} field of signed requests
     */
    public SchedulerClient(List<URI> baseUrls, Duration timeout, InstantSource wallClock) {
        this(baseUrls, timeout, wallClock, true);
    }

    /**
     * @param useSessions false: every heartbeat is signed and asks for no session (as older nodes do)
     */
    public SchedulerClient(List<URI> baseUrls, Duration timeout, InstantSource wallClock, boolean useSessions) {
        this.useSessions = useSessions;
        if (baseUrls == null || baseUrls.isEmpty()) throw new IllegalArgumentException("at least one scheduler URL");
        this.baseUrls = baseUrls.stream().map(SchedulerClient::withoutTrailingSlash).toList();
        this.timeout = timeout;
        this.wallClock = wallClock;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    private static URI withoutTrailingSlash(URI u) {
        String s = u.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    /** The scheduler URLs this client uses. */
    public List<URI> baseUrls() {
        return baseUrls;
    }

    /**
     * Sends a signed heartbeat reporting how the node runs programs ({@code executor}; null reports
     * nothing, which the scheduler treats as not isolating) and the scheduler incarnation it last saw.
     * {@code nonce}, {@code time} and {@code nodeAddress} of the body are filled in here from the key
     * and the wall clock.
     */
    public HeartbeatAnswer heartbeat(EthAccount nodeKey, URI publicUrl, Capacity capacity, List<String> runtimes,
                                     List<ExecutionReport> executions, String version, ExecutorInfo executor,
                                     long incarnation) {
        String node = nodeKey.address().toLowerCase(java.util.Locale.ROOT);
        String url = publicUrl == null ? null : publicUrl.toString();
        Session s = useSessions ? sessions.get(node) : null;
        if (s != null && (s.incarnation() != incarnation || System.nanoTime() - s.renewAtNanos() > 0)) {
            sessions.remove(node, s); // another incarnation, or time to rotate: open a new one with a signed heartbeat
            s = null;
        }
        if (s != null) {
            Heartbeat body = new Heartbeat(nodeKey.address(), url, capacity, runtimes, executions, version, nonce(), now(),
                    executor, incarnation);
            HeartbeatAnswer answer = sessionHeartbeat(node, s, body);
            if (answer != null) return answer;
            sessions.remove(node, s); // unknown to this scheduler (restarted, expired, another one): sign
        }
        Heartbeat body = new Heartbeat(nodeKey.address(), url, capacity, runtimes, executions, version, nonce(), now(),
                executor, incarnation, useSessions ? Boolean.TRUE : null);
        return heartbeat(nodeKey, body);
    }

    /** True when this client holds a heartbeat session for the node (tests). */
    public boolean hasSession(String nodeAddress) {
        return sessions.containsKey(nodeAddress.toLowerCase(java.util.Locale.ROOT));
    }

    /** Forgets the node's session: its next heartbeat is signed (and opens a new one). */
    public void dropSession(String nodeAddress) {
        sessions.remove(nodeAddress.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * One heartbeat in a session: HMAC over the exact body instead of a signature. Returns null when the
     * scheduler does not know the session (the caller signs instead); an answer whose HMAC does not
     * verify is reported unsigned (so it is ignored) and ends the session.
     */
    private HeartbeatAnswer sessionHeartbeat(String node, Session s, Heartbeat body) {
        byte[] bytes = bytes(body);
        String mac = HeartbeatSession.requestMac(s.secret(), bytes);
        Exchange x = exchange("/api/v1/heartbeat", base -> HttpRequest.newBuilder(URI.create(base + "/api/v1/heartbeat"))
                .timeout(timeout).header("Content-Type", "application/json")
                .header(HeartbeatSession.SESSION_HEADER, s.id()).header(HeartbeatSession.MAC_HEADER, mac)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
        HttpResponse<byte[]> response = x.response();
        if (response.statusCode() == 401) {
            try {
                JsonNode error = Json.MAPPER.readTree(response.body());
                if (error != null && error.path("error_code").asInt(-1) == HeartbeatSession.SESSION_ERROR) return null;
            } catch (IOException | RuntimeException ignored) {
                // not the session refusal
            }
        }
        if (response.statusCode() != 200) throw error(x.url(), response);
        boolean authentic = HeartbeatSession.answerMacValid(s.secret(), response.body(),
                response.headers().firstValue(HeartbeatSession.MAC_HEADER).orElse(null));
        if (!authentic) sessions.remove(node, s);
        try {
            return new HeartbeatAnswer.Granted(body, Json.MAPPER.readValue(response.body(), HeartbeatReply.class),
                    authentic ? s.signer() : null);
        } catch (IOException | RuntimeException e) {
            throw new SchedulerException(x.url(), 200, -1, "unreadable answer from " + x.url() + ": " + e.getMessage(), null);
        }
    }

    /** Keeps the session a signed answer opened, if it can be opened with the node's key. */
    private void keepSession(EthAccount nodeKey, Heartbeat sent, HeartbeatReply reply, String signer) {
        SessionGrant grant = reply.session();
        if (grant == null || signer == null || !sent.asksSession() || grant.id() == null || grant.key() == null
                || grant.incarnation() != reply.incarnation() || grant.expiresInMs() <= 0) {
            return;
        }
        String node = nodeKey.address().toLowerCase(java.util.Locale.ROOT);
        byte[] secret;
        try {
            secret = org.aleph4j.message.KeySeal.open(grant.key(), nodeKey,
                    HeartbeatSession.sealContext(grant.id(), node, grant.incarnation()));
        } catch (IllegalArgumentException e) {
            return; // not sealed to this key: no session, heartbeats stay signed
        }
        if (secret.length != 32) return;
        // rotate at 80 % of its life, so a session never ends between two heartbeats
        long renewAt = System.nanoTime() + Duration.ofMillis(grant.expiresInMs()).toNanos() / 5 * 4;
        sessions.put(node, new Session(grant.id(), secret, grant.incarnation(), signer, renewAt));
    }

    /**
     * Sends a heartbeat body as given (signed with {@code nodeKey}; tests use it to send odd bodies)
     * and reports who signed the answer. A signed incarnation refusal (409, error_code
     * {@value HeartbeatAnswer.IncarnationChanged#ERROR_CODE}) is an answer too; any other error is a
     * {@link SchedulerException}.
     */
    public HeartbeatAnswer heartbeat(EthAccount nodeKey, Heartbeat body) {
        byte[] bytes = bytes(body);
        String signature = nodeKey.signEip191(bytes);
        Exchange x = exchange("/api/v1/heartbeat", base -> HttpRequest.newBuilder(URI.create(base + "/api/v1/heartbeat"))
                .timeout(timeout).header("Content-Type", "application/json").header(SIGNATURE_HEADER, signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
        HttpResponse<byte[]> response = x.response();
        String signer = signerOf(response);
        try {
            if (response.statusCode() == 200) {
                HeartbeatReply reply = Json.MAPPER.readValue(response.body(), HeartbeatReply.class);
                if (useSessions) keepSession(nodeKey, body, reply, signer);
                return new HeartbeatAnswer.Granted(body, reply, signer);
            }
            if (response.statusCode() == 409) {
                JsonNode error = Json.MAPPER.readTree(response.body());
                if (error != null && error.path("error_code").asInt(-1) == HeartbeatAnswer.IncarnationChanged.ERROR_CODE
                        && error.path("details").isObject()) {
                    return new HeartbeatAnswer.IncarnationChanged(body,
                            Json.MAPPER.treeToValue(error.get("details"), HeartbeatAnswer.Notice.class), signer);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new SchedulerException(x.url(), response.statusCode(), -1,
                    "unreadable answer from " + x.url() + ": " + e.getMessage(), null);
        }
        throw error(x.url(), response);
    }

    /** The address that signed the exact bytes of {@code response} (header {@value #SIGNATURE_HEADER}), or null. */
    private static String signerOf(HttpResponse<byte[]> response) {
        String header = response.headers().firstValue(SIGNATURE_HEADER).orElse(null);
        byte[] sig = header == null ? null : Signatures.parse(header);
        if (sig == null) return null;
        return Verifier.INSTANCE.recover(Signatures.eip191Hash(response.body()), sig);
    }

    /** The signature verifier, loaded on first use (the native library is only needed by CRNs). */
    private static final class Verifier {
        static final SignatureVerifier INSTANCE = SignatureVerifier.best();
    }

    /** Hands a stopped program back to the scheduler so it is placed elsewhere at once. */
    public ReleaseReply release(EthAccount nodeKey, String itemHash, long epoch, String reason) {
        Release body = new Release(nodeKey.address(), itemHash, epoch, reason, nonce(), now());
        return postSigned("/api/v1/release", nodeKey, bytes(body), ReleaseReply.class);
    }

    /**
     * Asks the scheduler, as the holder of {@code itemHash} under {@code epoch}, how to restore the
     * program's volumes; the plan comes with the address that signed its exact bytes (null: unsigned),
     * which the node must check against the schedulers it trusts.
     */
    public Signed<RestorePlan> restorePlan(EthAccount nodeKey, String itemHash, long epoch) {
        RestoreRequest body = new RestoreRequest(nodeKey.address(), itemHash, epoch, nonce(), now());
        byte[] bytes = bytes(body);
        String signature = nodeKey.signEip191(bytes);
        String path = "/api/v1/volumes/restore";
        Exchange x = exchange(path, base -> HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Content-Type", "application/json").header(SIGNATURE_HEADER, signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build());
        if (x.response().statusCode() != 200) throw error(x.url(), x.response());
        try {
            return new Signed<>(Json.MAPPER.readValue(x.response().body(), RestorePlan.class), signerOf(x.response()));
        } catch (IOException e) {
            throw new SchedulerException(x.url(), 200, -1, "unreadable answer from " + x.url() + ": " + e.getMessage(), null);
        }
    }

    /** An answer and the address that signed its exact bytes (null when unsigned). */
    public record Signed<T>(T value, String signer) {}

    /** Reports a stored snapshot; a {@link SchedulerException} with status 409 means it was refused (fenced, or not the head's child). */
    public SnapshotReply reportSnapshot(EthAccount nodeKey, String itemHash, long epoch, String volumeId, long seq,
                                        Long parentSeq, boolean full, long bytes, List<String> parts) {
        SnapshotReport body = new SnapshotReport(nodeKey.address(), itemHash, epoch, volumeId, seq, parentSeq, full, bytes,
                parts, nonce(), now());
        return postSigned("/api/v1/volumes/snapshots", nodeKey, bytes(body), SnapshotReply.class);
    }

    /** The owner asks to move a persistent program ({@code target}: a node hash or address, null for any other node). */
    public MigrateReply migrate(EthAccount owner, String vmHash, String target) {
        MigrateRequest body = new MigrateRequest(owner.address(), vmHash, target, nonce(), now());
        return postSigned("/api/v1/vms/" + vmHash + "/migrate", owner, bytes(body), MigrateReply.class);
    }

    /** Where a persistent program runs ({@code GET /api/v0/allocation/{hash}}); empty when not allocated. */
    public Optional<Allocation> allocation(String itemHash) {
        return getOptional("/api/v0/allocation/" + itemHash, Json.MAPPER.constructType(Allocation.class));
    }

    /** The scheduler's view of a program with its history ({@code GET /api/v1/vms/{hash}}); empty when unknown. */
    public Optional<VmInfo> vm(String itemHash) {
        return getOptional("/api/v1/vms/" + itemHash, Json.MAPPER.constructType(VmInfo.class));
    }

    /** Lists programs ({@code GET /api/v1/vms}); {@code owner} and {@code vmHashPrefix} may be null. */
    public Page<VmInfo> vms(String owner, String vmHashPrefix, int page, int pageSize) {
        StringJoiner q = new StringJoiner("&", "?", "");
        if (owner != null) q.add("owner=" + enc(owner));
        if (vmHashPrefix != null) q.add("vm_hash=" + enc(vmHashPrefix));
        q.add("page=" + page).add("page_size=" + pageSize);
        JavaType type = Json.MAPPER.getTypeFactory().constructParametricType(Page.class, VmInfo.class);
        return get("/api/v1/vms" + q, type);
    }

    /** All registered CRNs ({@code GET /api/v1/nodes}). */
    public List<NodeInfo> nodes() {
        JavaType type = Json.MAPPER.getTypeFactory().constructParametricType(Page.class, NodeInfo.class);
        Page<NodeInfo> page = get("/api/v1/nodes?page_size=1000", type);
        return page.items();
    }

    /** One CRN by node hash ({@code GET /api/v1/nodes/{hash}}). */
    public Optional<NodeInfo> node(String nodeHash) {
        return getOptional("/api/v1/nodes/" + nodeHash, Json.MAPPER.constructType(NodeInfo.class));
    }

    /** Who this scheduler is ({@code GET /api/v1/about}): its signing address, leadership and incarnation. */
    public SchedulerAbout about() {
        return get("/api/v1/about", Json.MAPPER.constructType(SchedulerAbout.class));
    }

    /** The current plan in upstream's shape ({@code GET /api/v0/plan}). */
    public JsonNode plan() {
        return get("/api/v0/plan", Json.MAPPER.constructType(JsonNode.class));
    }

    // ---- plumbing

    private double now() {
        return wallClock.millis() / 1000.0;
    }

    private static String nonce() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(Object body) {
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialise " + body, e);
        }
    }

    private <T> T postSigned(String path, EthAccount key, byte[] body, Class<T> type) {
        String signature = key.signEip191(body);
        return this.<T>call(path, base -> HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Content-Type", "application/json").header(SIGNATURE_HEADER, signature)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                Json.MAPPER.constructType(type), false).orElseThrow();
    }

    private <T> T get(String path, JavaType type) {
        return this.<T>call(path, base -> HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).GET().build(),
                type, false).orElseThrow();
    }

    private <T> Optional<T> getOptional(String path, JavaType type) {
        return call(path, base -> HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout).GET().build(),
                type, true);
    }

    private interface RequestFor {
        HttpRequest build(URI base);
    }

    private <T> Optional<T> call(String path, RequestFor request, JavaType type, boolean notFoundIsEmpty) {
        Exchange x = exchange(path, request);
        HttpResponse<byte[]> response = x.response();
        int status = response.statusCode();
        if (status == 404 && notFoundIsEmpty) return Optional.empty();
        if (status >= 300) throw error(x.url(), response);
        try {
            T value = Json.MAPPER.readValue(response.body(), type);
            return Optional.of(value);
        } catch (IOException e) {
            throw new SchedulerException(x.url(), status, -1, "unreadable answer from " + x.url() + ": " + e.getMessage(), null);
        }
    }

    /** One answered request and the URL that answered it. */
    private record Exchange(URI url, HttpResponse<byte[]> response) {}

    /**
     * Sends the request to the schedulers in turn, from the last one that answered, until one answers
     * something else than 503 (a standby); throws when none does.
     */
    private Exchange exchange(String path, RequestFor request) {
        SchedulerException last = null;
        int start = preferred;
        for (int i = 0; i < baseUrls.size(); i++) {
            int index = (start + i) % baseUrls.size();
            URI base = baseUrls.get(index);
            URI url = URI.create(base + path);
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(base), HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                String reason = e instanceof java.net.http.HttpTimeoutException ? "timed out"
                        : e instanceof java.net.ConnectException ? "connection refused" : String.valueOf(e.getMessage());
                last = new SchedulerException(url, 0, -1, "cannot reach the scheduler at " + base + ": " + reason, null);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchedulerException(url, 0, -1, "interrupted while calling " + url, null);
            }
            if (response.statusCode() == 503) {
                last = error(url, response);
                continue; // a standby: try the next scheduler
            }
            preferred = index;
            return new Exchange(url, response);
        }
        throw last;
    }

    private static SchedulerException error(URI url, HttpResponse<byte[]> response) {
        int status = response.statusCode();
        String message = "scheduler answered HTTP " + status;
        int code = -1;
        JsonNode details = null;
        try {
            JsonNode body = Json.MAPPER.readTree(response.body());
            if (body != null && body.isObject()) {
                if (body.hasNonNull("error")) message = body.get("error").asText();
                if (body.has("error_code")) code = body.get("error_code").asInt(-1);
                details = body.get("details");
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: keep the HTTP status as the message
        }
        return new SchedulerException(url, status, code, message + " (" + url + ")", details);
    }
}
