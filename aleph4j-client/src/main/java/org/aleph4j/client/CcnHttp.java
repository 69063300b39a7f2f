package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * The HTTP exchange with one CCN, shared by {@link CcnClient} and its file transfers: requests
 * bounded in time, answers read as JSON, and failures turned into {@link CcnException} (unreachable,
 * interrupted, or a non-2xx status with upstream's {@code error_code} and {@code details}).
 */
final class CcnHttp {
    /** How long a sync POST may wait on top of the normal timeout: upstream waits up to 30 s. */
    static final Duration SYNC_EXTRA = Duration.ofSeconds(35);

    private final URI baseUrl;
    private final Duration timeout;
    private final HttpClient http;

    CcnHttp(URI baseUrl, Duration timeout) {
        String s = baseUrl.toString();
        this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NORMAL)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    URI baseUrl() {
        return baseUrl;
    }

    Duration timeout() {
        return timeout;
    }

    HttpClient client() {
        return http;
    }

    /** The websocket URI of {@code pathAndQuery} (ws:// or wss:// as the base URL is http:// or https://). */
    URI wsUri(String pathAndQuery) {
        String s = baseUrl.toString();
        if (s.startsWith("https://")) s = "wss://" + s.substring(8);
        else if (s.startsWith("http://")) s = "ws://" + s.substring(7);
        return URI.create(s + pathAndQuery);
    }

    /** A request for {@code pathAndQuery} under the base URL, answered within {@code bound}, accepting JSON. */
    HttpRequest.Builder request(String pathAndQuery, Duration bound) {
        return HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).timeout(bound)
                .header("Accept", "application/json");
    }

    /** A request bounded by the normal timeout. */
    HttpRequest.Builder request(String pathAndQuery) {
        return request(pathAndQuery, timeout);
    }

    HttpResponse<String> send(HttpRequest req) throws CcnException {
        return send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    HttpResponse<InputStream> sendStream(HttpRequest req) throws CcnException {
        return send(req, HttpResponse.BodyHandlers.ofInputStream());
    }

    private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) throws CcnException {
        try {
            return http.send(req, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            CcnException ex = new CcnException(req.uri(), 0, null, "interrupted while calling " + req.uri(), null, null);
            ex.initCause(new InterruptedIOException(e.getMessage()));
            throw ex;
        } catch (IOException e) {
            throw CcnException.unreachable(req.uri(), e);
        }
    }

    /** Sends {@code req} and returns its JSON answer; a non-2xx status or a body that is not JSON throws. */
    JsonNode json(HttpRequest req) throws CcnException {
        return expectJson(req, send(req));
    }

    /** The JSON body of a 2xx answer; otherwise a {@link CcnException} saying what the CCN answered. */
    static JsonNode expectJson(HttpRequest req, HttpResponse<String> resp) throws CcnException {
        JsonNode json = parseOrNull(resp.body());
        if (resp.statusCode() < 200 || resp.statusCode() >= 300) throw error(req.uri(), resp.statusCode(), json, resp.body());
        if (json == null) {
            throw new CcnException(req.uri(), resp.statusCode(), null, "the CCN at " + req.uri() + " did not answer JSON", null, null);
        }
        return json;
    }

    /** The exception for an error answer: upstream's {@code error}, {@code error_code} and {@code details} when sent. */
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

    /** {@code text} as JSON, or null when it is empty or not JSON. */
    static JsonNode parseOrNull(String text) {
        if (text == null || text.isBlank()) return null;
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code s} encoded as one URL path segment or query value. */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Stops at once: close() would wait for every exchange in flight (an open websocket never ends by itself). */
    void close() {
        http.shutdownNow();
    }
}
