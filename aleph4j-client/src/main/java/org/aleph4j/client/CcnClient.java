package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    private final CcnHttp http;
    private final CcnFiles files;

    /** A client with a 30 s timeout per call. */
    public CcnClient(URI baseUrl) {
        this(baseUrl, Duration.ofSeconds(30));
    }

    /**
     * @param baseUrl the CCN root, e.g. {@code http://127.0.0.1:4024} (a trailing slash is ignored)
     * @param timeout bound of each call (connect and response headers)
     */
    public CcnClient(URI baseUrl, Duration timeout) {
        this.http = new CcnHttp(baseUrl, timeout);
        this.files = new CcnFiles(http);
    }

    /** The CCN root, without a trailing slash. */
    public URI baseUrl() {
        return http.baseUrl();
    }

    /** The bound of each call. */
    public Duration timeout() {
        return http.timeout();
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
        Duration bound = sync ? http.timeout().plus(CcnHttp.SYNC_EXTRA) : http.timeout();
        HttpRequest req = http.request("/api/v0/messages", bound)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)))
                .build();
        HttpResponse<String> resp = http.send(req);
        JsonNode json = CcnHttp.parseOrNull(resp.body());
        if (json != null && json.hasNonNull("message_status")) {
            return new PostResult(resp.statusCode(), json.path("message_status").asText(),
                    json.path("publication_status").path("status").asText(null), json);
        }
        if (resp.statusCode() >= 400) throw CcnHttp.error(req.uri(), resp.statusCode(), json, resp.body());
        return new PostResult(resp.statusCode(), json == null ? null : json.path("message_status").asText(null),
                json == null ? null : json.path("publication_status").path("status").asText(null), json);
    }

    /** {@code GET /api/v0/messages/{hash}}; empty when the CCN does not know the hash (404). */
    public Optional<MessageRecord> message(String itemHash) throws CcnException {
        HttpRequest req = http.request("/api/v0/messages/" + CcnHttp.segment(itemHash)).GET().build();
        HttpResponse<String> resp = http.send(req);
        if (resp.statusCode() == 404) return Optional.empty();
        JsonNode json = CcnHttp.expectJson(req, resp);
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
        HttpRequest req = http.request("/api/v0/messages/" + CcnHttp.segment(itemHash) + "/status").GET().build();
        HttpResponse<String> resp = http.send(req);
        if (resp.statusCode() == 404) return Optional.empty();
        JsonNode json = CcnHttp.expectJson(req, resp);
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
        HttpRequest req = http.request("/api/v0/messages.json" + (qs.isEmpty() ? "" : "?" + qs)).GET().build();
        return http.json(req);
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
        MessageStream s = new MessageStream(this, http.client(), query, startDate, null, onFrame);
        s.start();
        return s;
    }

    /**
     * Like {@link #subscribe}, starting with the changes numbered above {@code afterSequence} (0: every
     * message the CCN has): the way to catch up from a stored {@link StreamFrame#sequence()} after a
     * restart, whatever time the messages' senders wrote in them.
     */
    public MessageStream subscribeAfter(MessageQuery query, long afterSequence, Consumer<StreamFrame> onFrame) {
        MessageStream s = new MessageStream(this, http.client(), query, null, afterSequence, onFrame);
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
        return files.upload(data, size, fileName, signedStore, sync, progress);
    }

    /**
     * Downloads a file ({@code GET /api/v0/storage/raw/{hash}}) to {@code target}, streaming through a
     * temporary file in the same directory; a sha256 hash is verified before the file appears.
     * Returns the number of bytes written.
     */
    public long downloadFile(String fileHash, Path target) throws CcnException, IOException {
        return files.download(fileHash, target);
    }

    /** Downloads a file fully into memory; for small files only (code archives, descriptors). */
    public byte[] downloadBytes(String fileHash) throws CcnException, IOException {
        return files.downloadBytes(fileHash);
    }

    /**
     * {@code GET /api/v0/addresses/{address}/files}: the files an address pins, upstream's shape
     * ({@code address, total_size, files: [{file_hash, size, type, created, item_hash}], pagination_page,
     * pagination_total, pagination_per_page}). Empty when the CCN answers 404 (pyaleph: no files).
     * {@code pagination} 0 means no limit; {@code sortOrder} -1 newest first, 1 oldest first.
     */
    public Optional<JsonNode> addressFiles(String address, int page, int pagination, int sortOrder) throws CcnException {
        return addressFiles(address, page, pagination, sortOrder, null);
    }

    /**
     * As {@link #addressFiles(String, int, int, int)}, only the pins of {@code fileHash} when not null
     * (aleph4j's {@code file_hash} filter; a CCN without it lists all files, so callers still check).
     */
    public Optional<JsonNode> addressFiles(String address, int page, int pagination, int sortOrder, String fileHash) throws CcnException {
        HttpRequest req = http.request("/api/v0/addresses/" + CcnHttp.segment(address) + "/files?pagination=" + pagination
                + "&page=" + page + "&sort_order=" + sortOrder + (fileHash == null ? "" : "&file_hash=" + CcnHttp.segment(fileHash)))
                .GET().build();
        HttpResponse<String> resp = http.send(req);
        // A CCN without the endpoint answers 404 too (a router's "Endpoint ... not found"): that is an error, not "no files".
        if (resp.statusCode() == 404 && !resp.body().contains("Endpoint ")) return Optional.empty();
        return Optional.of(CcnHttp.expectJson(req, resp));
    }

    /** Whether the CCN holds the file ({@code HEAD /api/v0/storage/raw/{hash}} answers 2xx). */
    public boolean hasFile(String fileHash) throws CcnException {
        HttpRequest req = http.request("/api/v0/storage/raw/" + CcnHttp.segment(fileHash))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> resp = http.send(req);
        if (resp.statusCode() == 404) return false;
        if (resp.statusCode() >= 400) throw CcnHttp.error(req.uri(), resp.statusCode(), null, resp.body());
        return true;
    }

    // ---------------------------------------------------------------- balances, prices, aggregates

    /** {@code GET /api/v0/addresses/{address}/balance}; an unknown address has a zero balance. */
    public Balance balance(String address) throws CcnException {
        HttpRequest req = http.request("/api/v0/addresses/" + CcnHttp.segment(address) + "/balance").GET().build();
        HttpResponse<String> resp = http.send(req);
        if (resp.statusCode() == 404) {
            return new Balance(address, BigDecimal.ZERO, BigDecimal.ZERO, null, 0, null);
        }
        JsonNode json = CcnHttp.expectJson(req, resp);
        return new Balance(json.path("address").asText(address), decimal(json.get("balance")),
                decimal(json.get("locked_amount")), json.get("details"), json.path("credit_balance").asLong(0), json);
    }

    /** {@code GET /api/v0/price/{hash}}: what a processed PROGRAM/STORE costs. */
    public Price price(String itemHash) throws CcnException {
        HttpRequest req = http.request("/api/v0/price/" + CcnHttp.segment(itemHash)).GET().build();
        return price(http.json(req));
    }

    /**
     * {@code POST /api/v0/price/estimate}: what a message would cost. The message is sent with its
     * {@code content} (parsed from item_content when absent); the signature is not checked.
     */
    public Price estimate(AlephMessage message) throws CcnException {
        AlephMessage withContent = message;
        if (message.content() == null && message.itemContent() != null) {
            withContent = message.withContent(CcnHttp.parseOrNull(message.itemContent()));
        }
        if (withContent.signature() == null) withContent = withContent.withSignature("0x" + "0".repeat(130));
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("message", withContent.toJson());
        HttpRequest req = http.request("/api/v0/price/estimate").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.write(body))).build();
        return price(http.json(req));
    }

    /**
     * {@code GET /api/v0/aggregates/{address}.json}: the merged {@code data} object of the given keys
     * (all keys when none are given); empty when the address has none (404).
     */
    public Optional<JsonNode> aggregate(String address, String... keys) throws CcnException {
        String q = keys.length == 0 ? "" : "?keys=" + CcnHttp.segment(String.join(",", keys));
        HttpRequest req = http.request("/api/v0/aggregates/" + CcnHttp.segment(address) + ".json" + q).GET().build();
        HttpResponse<String> resp = http.send(req);
        if (resp.statusCode() == 404) return Optional.empty();
        return Optional.ofNullable(CcnHttp.expectJson(req, resp).get("data"));
    }

    /** GETs any JSON path of the CCN (e.g. {@code /api/v0/info/public.json}); non-2xx throws. */
    public JsonNode getJson(String pathAndQuery) throws CcnException {
        HttpRequest req = http.request(pathAndQuery).GET().build();
        return http.json(req);
    }

    @Override
    public void close() {
        http.close();
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
            throw new CcnException(null, 0, null, "unreadable message from the CCN: " + CcnHttp.firstLine(e.getMessage()), null, node);
        }
    }

    URI wsUri(String pathAndQuery) {
        return http.wsUri(pathAndQuery);
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
}
