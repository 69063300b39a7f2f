package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Typed client of a CCN's upstream HTTP API (reference §5). Every call has a timeout; failures
 * surface as {@link CcnException} carrying the HTTP status and, when the CCN sent upstream's JSON
 * error, its {@code error_code} and {@code details}. Thread-safe; one instance per CCN URL.
 *
 * <pre>{@code
 * try (CcnClient ccn = new CcnClient(URI.create("http://127.0.0.1:4024"))) {
 *     PostResult r = ccn.post(message, true);
 *     Optional<MessageRecord> m = ccn.message(message.itemHash());
 * }
 * }</pre>
 */
public final class CcnClient implements AutoCloseable {
    /** How long a sync POST may wait on top of the normal timeout: upstream waits up to 30 s. */
    private static final Duration SYNC_EXTRA = Duration.ofSeconds(35);

    private final URI baseUrl;
    private final Duration timeout;
    private final HttpClient http;

    /** A client with a 30 s timeout per call. */
    public CcnClient(URI baseUrl) {
        this(baseUrl, Duration.ofSeconds(30));
    }

    public CcnClient(URI baseUrl, Duration timeout) {
        this(baseUrl, timeout, InstantSource.system());
    }

    /**
     * @param baseUrl the CCN root, e.g. {@code http://127.0.0.1:4024} (a trailing slash is ignored)
     * @param timeout bound of each call (connect and response headers)
     * @param clock   not used any more (streams resume by the CCN's sequence, not by time); kept so
     *                callers that pass one still compile
     */
    public CcnClient(URI baseUrl, Duration timeout, InstantSource clock) {
        String s = baseUrl.toString();
        this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    public URI baseUrl() {
        return baseUrl;
    }

    public Duration timeout() {
        return timeout;
    }

    // ---------------------------------------------------------------- messages

    /**
     * Submits a signed message ({@code POST /api/v0/messages}); with {@code sync} the CCN answers
     * once the message is processed, rejected or still pending after its wait. A rejected message
     * is a normal result (HTTP 422, {@code message_status: rejected}); use {@link #message} for
     * its error code. Invalid requests (bad envelope...) throw {@link CcnException}.
     */
    public PostResult post(AlephMessage message, boolean sync) throws CcnException {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("sync", sync);
        body.set("message", message.forSubmission().toJson());
        HttpRequest req = request("/api/v0/messages", sync ? timeout.plus(SYNC_EXTRA) : timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)))
                .build();
        HttpResponse<String> resp = send(req);
        JsonNode json = parseOrNull(resp.body());
        if (json != null && json.hasNonNull("message_status")) {
            return new PostResult(resp.statusCode(), json.path("message_status").asText(),
                    json.path("publication_status").path("status").asText(null), json);
        }
        if (resp.statusCode() >= 400) throw error(req.uri(), resp.statusCode(), json, resp.body());
        return new PostResult(resp.statusCode(), json == null ? null : json.path("message_status").asText(null),
                json == null ? null : json.path("publication_status").path("status").asText(null), json);
    }

    /** {@code GET /api/v0/messages/{hash}}; empty when the CCN does not know the hash (404). */
    public Optional<MessageRecord> message(String itemHash) throws CcnException {
        HttpRequest req = request("/api/v0/messages/" + enc(itemHash), timeout).GET().build();
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() == 404) return Optional.empty();
        JsonNode json = expectJson(req, resp);
        JsonNode m = json.get("message");
        if ((m == null || m.isNull()) && json.path("messages").isArray() && !json.path("messages").isEmpty()) {
            m = json.path("messages").get(0);
        }
        List<String> forgottenBy = strings(json.get("forgotten_by"));
        if (forgottenBy.isEmpty() && m != null) forgottenBy = strings(m.get("forgotten_by"));
        return Optional.of(new MessageRecord(json.path("status").asText(null),
                json.path("item_hash").asText(itemHash),
                json.hasNonNull("reception_time") ? json.get("reception_time").asDouble() : null,
                m == null || m.isNull() ? null : parseMessage(m),
                json.hasNonNull("error_code") ? json.get("error_code").asInt() : null,
                json.get("details"), forgottenBy, json.path("reason").asText(null), json));
    }

    /** {@code GET /api/v0/messages/{hash}/status}; empty on 404. */
    public Optional<MessageStatus> status(String itemHash) throws CcnException {
        HttpRequest req = request("/api/v0/messages/" + enc(itemHash) + "/status", timeout).GET().build();
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() == 404) return Optional.empty();
        JsonNode json = expectJson(req, resp);
        return Optional.of(new MessageStatus(json.path("status").asText(null), json.path("item_hash").asText(itemHash),
                json.hasNonNull("reception_time") ? json.get("reception_time").asDouble() : null));
    }

    /** {@code GET /api/v0/messages.json} with the query's filters. */
    public MessagePage messages(MessageQuery query) throws CcnException {
        JsonNode json = messagesJson(query);
        List<AlephMessage> list = new ArrayList<>();
        for (JsonNode m : json.path("messages")) list.add(parseMessage(m));
        return new MessagePage(List.copyOf(list), json.path("pagination_page").asInt(1),
                json.path("pagination_total").asLong(list.size()), json.path("pagination_per_page").asInt(list.size()));
    }

    /** The raw JSON of {@code GET /api/v0/messages.json} (items as the API returns them). */
    public JsonNode messagesJson(MessageQuery query) throws CcnException {
        String qs = query.queryString();
        HttpRequest req = request("/api/v0/messages.json" + (qs.isEmpty() ? "" : "?" + qs), timeout).GET().build();
        return expectJson(req, send(req));
    }

    /**
     * Follows {@code /api/ws0/messages} with the query's filters, calling {@code onMessage} (on one
     * thread, in arrival order) once per change of a message (processed, then maybe forgotten,
     * removing...). {@code startDate} (CCN time, seconds) first replays what the CCN received or
     * processed since then; null means "changes from now on". Reconnects with back-off 0.1 s → 8 s
     * and resumes after the sequence of the last frame delivered, so nothing is lost or repeated
     * across reconnects (see {@link MessageStream}). Close the returned subscription to stop.
     * {@code onMessage} gets each frame as received; see {@link #subscribe} for frames already read.
     */
    public MessageStream stream(MessageQuery query, Double startDate, Consumer<JsonNode> onMessage) {
        return subscribe(query, startDate, frame -> onMessage.accept(frame.raw()));
    }

    /**
     * Like {@link #stream}, with each frame read once into a {@link StreamFrame} (item hash, type,
     * status, time, sequence, content...). Resuming is the same.
     */
    public MessageStream subscribe(MessageQuery query, Double startDate, Consumer<StreamFrame> onFrame) {
        MessageStream s = new MessageStream(this, http, query, startDate, null, onFrame);
        s.start();
        return s;
    }

    /**
     * Like {@link #subscribe}, starting with the changes numbered above {@code afterSequence} (0: every
     * message the CCN has): the way to catch up from a stored {@link StreamFrame#sequence()} after a
     * restart, whatever time the messages' senders wrote in them.
     */
    public MessageStream subscribeAfter(MessageQuery query, long afterSequence, Consumer<StreamFrame> onFrame) {
        MessageStream s = new MessageStream(this, http, query, null, afterSequence, onFrame);
        s.start();
        return s;
    }

    // ---------------------------------------------------------------- files

    /**
     * Uploads a file with its signed STORE message ({@code POST /api/v0/storage/add_file},
     * multipart parts {@code metadata} and {@code file}), streaming it from disk.
     */
    public UploadResult uploadFile(Path file, AlephMessage signedStore, boolean sync, UploadProgress progress)
            throws CcnException, IOException {
        long size = Files.size(file);
        try (InputStream in = Files.newInputStream(file)) {
            return uploadFile(in, size, file.getFileName().toString(), signedStore, sync, progress);
        }
    }

    /** As {@link #uploadFile(Path, AlephMessage, boolean, UploadProgress)} from a stream of exactly {@code size} bytes. */
    public UploadResult uploadFile(InputStream data, long size, String fileName, AlephMessage signedStore, boolean sync,
                                   UploadProgress progress) throws CcnException {
        String boundary = "aleph4j-" + UUID.randomUUID();
        ObjectNode meta = JsonNodeFactory.instance.objectNode();
        meta.set("message", signedStore.forSubmission().toJson());
        meta.put("sync", sync);
        String safeName = (fileName == null || fileName.isBlank() ? "file" : fileName).replaceAll("[\"\r\n\\\\]", "_");
        byte[] head = ("--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"metadata\"\r\n"
                + "Content-Type: application/json\r\n\r\n"
                + Json.write(meta) + "\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"file\"; filename=\"" + safeName + "\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        UploadProgress listener = progress == null ? UploadProgress.NONE : progress;
        // The file part streams through a counting stream, so the body is never held in memory.
        HttpRequest.BodyPublisher filePart = HttpRequest.BodyPublishers.ofInputStream(
                () -> new CountingInputStream(data, size, listener));
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.concat(
                HttpRequest.BodyPublishers.ofByteArray(head), filePart, HttpRequest.BodyPublishers.ofByteArray(tail)),
                head.length + size + tail.length);
        // Large files take time on the wire: allow 1 s per MiB on top of the normal bound.
        Duration bound = timeout.plus(Duration.ofSeconds(size / (1 << 20))).plus(sync ? SYNC_EXTRA : Duration.ZERO);
        HttpRequest req = request("/api/v0/storage/add_file", bound)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(body).build();
        HttpResponse<String> resp = send(req);
        JsonNode json = parseOrNull(resp.body());
        if (resp.statusCode() >= 400) throw error(req.uri(), resp.statusCode(), json, resp.body());
        return new UploadResult(resp.statusCode(), json == null ? null : json.path("status").asText(null),
                json == null ? null : json.path("hash").asText(null), json);
    }

    /**
     * Downloads a file ({@code GET /api/v0/storage/raw/{hash}}) to {@code target}, streaming through a
     * temporary file in the same directory; a sha256 hash is verified before the file appears.
     * Returns the number of bytes written.
     */
    public long downloadFile(String fileHash, Path target) throws CcnException, IOException {
        HttpRequest req = request("/api/v0/storage/raw/" + enc(fileHash), timeout).GET().build();
        HttpResponse<InputStream> resp = sendStream(req);
        try (InputStream body = resp.body()) {
            if (resp.statusCode() != 200) {
                String text = new String(body.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                throw error(req.uri(), resp.statusCode(), parseOrNull(text), text);
            }
            Path dir = target.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".download-", ".tmp");
            try {
                MessageDigest sha = sha256();
                long n;
                try (InputStream in = new DigestInputStream(body, sha); OutputStream out = Files.newOutputStream(tmp)) {
                    n = in.transferTo(out);
                }
                String got = HexFormat.of().formatHex(sha.digest());
                if (ItemHashes.isSha256Hash(fileHash) && !got.equals(fileHash)) {
                    throw new IOException("downloaded file has sha256 " + got + ", expected " + fileHash);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                return n;
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Downloads a file fully into memory; for small files only (code archives, descriptors). */
    public byte[] downloadBytes(String fileHash) throws CcnException, IOException {
        HttpRequest req = request("/api/v0/storage/raw/" + enc(fileHash), timeout).GET().build();
        HttpResponse<InputStream> resp = sendStream(req);
        try (InputStream body = resp.body()) {
            byte[] bytes = body.readAllBytes();
            if (resp.statusCode() != 200) {
                String text = new String(bytes, StandardCharsets.UTF_8);
                throw error(req.uri(), resp.statusCode(), parseOrNull(text), text);
            }
            return bytes;
        }
    }

    // ---------------------------------------------------------------- balances, prices, aggregates

    /** {@code GET /api/v0/addresses/{address}/balance}; an unknown address has a zero balance. */
    public Balance balance(String address) throws CcnException {
        HttpRequest req = request("/api/v0/addresses/" + enc(address) + "/balance", timeout).GET().build();
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() == 404) {
            return new Balance(address, BigDecimal.ZERO, BigDecimal.ZERO, null, 0, null);
        }
        JsonNode json = expectJson(req, resp);
        return new Balance(json.path("address").asText(address), decimal(json.get("balance")),
                decimal(json.get("locked_amount")), json.get("details"), json.path("credit_balance").asLong(0), json);
    }

    /** {@code GET /api/v0/price/{hash}}: what a processed PROGRAM/STORE costs. */
    public Price price(String itemHash) throws CcnException {
        HttpRequest req = request("/api/v0/price/" + enc(itemHash), timeout).GET().build();
        return price(expectJson(req, send(req)));
    }

    /**
     * {@code POST /api/v0/price/estimate}: what a message would cost. The message is sent with its
     * {@code content} (parsed from item_content when absent); the signature is not checked.
     */
    public Price estimate(AlephMessage message) throws CcnException {
        AlephMessage withContent = message;
        if (message.content() == null && message.itemContent() != null) {
            withContent = message.withContent(parseOrNull(message.itemContent()));
        }
        if (withContent.signature() == null) withContent = withContent.withSignature("0x" + "0".repeat(130));
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("message", withContent.toJson());
        HttpRequest req = request("/api/v0/price/estimate", timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build();
        return price(expectJson(req, send(req)));
    }

    /**
     * {@code GET /api/v0/aggregates/{address}.json}: the merged {@code data} object of the given keys
     * (all keys when none are given); empty when the address has none (404).
     */
    public Optional<JsonNode> aggregate(String address, String... keys) throws CcnException {
        String q = keys.length == 0 ? "" : "?keys=" + enc(String.join(",", keys));
        HttpRequest req = request("/api/v0/aggregates/" + enc(address) + ".json" + q, timeout).GET().build();
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() == 404) return Optional.empty();
        return Optional.ofNullable(expectJson(req, resp).get("data"));
    }

    /** GETs any JSON path of the CCN (e.g. {@code /api/v0/info/public.json}); non-2xx throws. */
    public JsonNode getJson(String pathAndQuery) throws CcnException {
        HttpRequest req = request(pathAndQuery, timeout).GET().build();
        return expectJson(req, send(req));
    }

    @Override
    public void close() {
        // close() would wait for every exchange in flight (an open websocket never ends by itself).
        http.shutdownNow();
    }

    // ---------------------------------------------------------------- helpers

    /** Parses a message JSON as the API returns it; content is parsed from item_content when absent. */
    public static AlephMessage parseMessage(JsonNode node) throws CcnException {
        try {
            AlephMessage m = Json.MAPPER.treeToValue(node, AlephMessage.class);
            if (m.content() == null && m.itemContent() != null && (m.itemType() == null || m.itemType() == ItemType.INLINE)) {
                m = m.withContent(Json.MAPPER.readTree(m.itemContent()));
            }
            return m;
        } catch (IOException e) {
            throw new CcnException(null, 0, null, "unreadable message from the CCN: " + firstLine(e.getMessage()), null, node);
        }
    }

    URI wsUri(String pathAndQuery) {
        String s = baseUrl.toString();
        if (s.startsWith("https://")) s = "wss://" + s.substring(8);
        else if (s.startsWith("http://")) s = "ws://" + s.substring(7);
        return URI.create(s + pathAndQuery);
    }

    private HttpRequest.Builder request(String pathAndQuery, Duration bound) {
        return HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).timeout(bound)
                .header("Accept", "application/json");
    }

    private HttpResponse<String> send(HttpRequest req) throws CcnException {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(req.uri(), e);
        } catch (IOException e) {
            throw CcnException.unreachable(req.uri(), e);
        }
    }

    private HttpResponse<InputStream> sendStream(HttpRequest req) throws CcnException {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(req.uri(), e);
        } catch (IOException e) {
            throw CcnException.unreachable(req.uri(), e);
        }
    }

    private static CcnException interrupted(URI uri, InterruptedException e) {
        CcnException ex = new CcnException(uri, 0, null, "interrupted while calling " + uri, null, null);
        ex.initCause(new InterruptedIOException(e.getMessage()));
        return ex;
    }

    private static JsonNode expectJson(HttpRequest req, HttpResponse<String> resp) throws CcnException {
        JsonNode json = parseOrNull(resp.body());
        if (resp.statusCode() < 200 || resp.statusCode() >= 300) throw error(req.uri(), resp.statusCode(), json, resp.body());
        if (json == null) {
            throw new CcnException(req.uri(), resp.statusCode(), null, "the CCN at " + req.uri() + " did not answer JSON", null, null);
        }
        return json;
    }

    static CcnException error(URI uri, int status, JsonNode json, String text) {
        Integer code = null;
        JsonNode details = null;
        String msg = null;
        if (json != null && json.isObject()) {
            if (json.get("error_code") != null && json.get("error_code").canConvertToInt()) code = json.get("error_code").asInt();
            details = json.get("details");
            if (json.hasNonNull("error")) msg = json.get("error").asText();
            else if (json.hasNonNull("message") && json.get("message").isTextual()) msg = json.get("message").asText();
            else if (json.hasNonNull("message_status")) msg = "message " + json.get("message_status").asText();
        }
        if (msg == null) msg = text == null || text.isBlank() ? "HTTP " + status : firstLine(text.strip());
        return new CcnException(uri, status, code, msg + " (HTTP " + status + " from " + uri.getPath() + ")", details, json);
    }

    private static Price price(JsonNode json) {
        return new Price(decimal(json.get("required_tokens")), json.path("payment_type").asText("hold"),
                decimal(json.get("cost")), json.get("detail"), json.path("charged_address").asText(null), json);
    }

    private static BigDecimal decimal(JsonNode n) {
        if (n == null || n.isNull()) return BigDecimal.ZERO;
        if (n.isNumber()) return n.decimalValue();
        try {
            return new BigDecimal(n.asText().strip());
        } catch (NumberFormatException e) {
            return BigDecimal.ZERO;
        }
    }

    private static List<String> strings(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null && n.isArray()) for (JsonNode x : n) out.add(x.asText());
        return List.copyOf(out);
    }

    static JsonNode parseOrNull(String text) {
        if (text == null || text.isBlank()) return null;
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts bytes as the HTTP client reads them and stops at {@code size} so the Content-Length holds. */
    private static final class CountingInputStream extends InputStream {
        private final InputStream in;
        private final long size;
        private final UploadProgress progress;
        private long read;
        private long lastReported;

        CountingInputStream(InputStream in, long size, UploadProgress progress) {
            this.in = in;
            this.size = size;
            this.progress = progress;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (read >= size) return -1;
            int n = in.read(b, off, (int) Math.min(len, size - read));
            if (n < 0) throw new IOException("file ended after " + read + " of " + size + " bytes");
            read += n;
            // Report every 1 MiB and at the end, not on every buffer.
            if (read - lastReported >= (1 << 20) || read == size) {
                lastReported = read;
                progress.onProgress(read, size);
            }
            return n;
        }
    }
}
