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
    private volatile int preferred;

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
        Heartbeat body = new Heartbeat(nodeKey.address(), publicUrl == null ? null : publicUrl.toString(), capacity,
                runtimes, executions, version, nonce(), now(), executor, incarnation);
        return heartbeat(nodeKey, body);
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
                return new HeartbeatAnswer.Granted(body, Json.MAPPER.readValue(response.body(), HeartbeatReply.class), signer);
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
