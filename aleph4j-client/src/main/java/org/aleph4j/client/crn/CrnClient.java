package org.aleph4j.client.crn;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.CcnException;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Client of a CRN's public and owner-only endpoints. Owner calls are signed with {@link OwnerAuth}
 * bound to the CRN's domain. Failures throw {@link CrnException} with the HTTP status
 * (0 when the CRN could not be reached).
 */
public final class CrnClient implements AutoCloseable {
    private final URI baseUrl;
    private final Duration timeout;
    private final HttpClient http;

    public CrnClient(URI baseUrl, Duration timeout) {
        String s = baseUrl.toString();
        this.baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public URI baseUrl() {
        return baseUrl;
    }

    /**
     * The execution logs of a program ({@code GET /control/machine/{hash}/logs}): upstream's entries
     * {@code {SYSLOG_IDENTIFIER, MESSAGE, file, __REALTIME_TIMESTAMP}}. 404 → no execution of it on
     * this CRN; 403 → not the owner.
     */
    public List<JsonNode> logs(String programHash, OwnerAuth auth) throws CrnException {
        return logs(programHash, auth, null);
    }

    /**
     * {@link #logs(String, OwnerAuth)} with a query string (not signed: the CRN signs the path only),
     * e.g. {@code limit=100&since=1764618303123000} (aleph4j's {@code since}: entries stamped at or
     * after it, unix microseconds).
     */
    public List<JsonNode> logs(String programHash, OwnerAuth auth, String query) throws CrnException {
        String path = "/control/machine/" + programHash + "/logs";
        String q = query == null || query.isBlank() ? "" : "?" + query;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path + q)).timeout(timeout).GET();
        auth.headers("GET", path).forEach(b::header);
        JsonNode json = call(b.build());
        List<JsonNode> out = new ArrayList<>();
        if (json != null && json.isArray()) json.forEach(out::add);
        return out;
    }

    /** Signs and sends an owner operation ({@code POST /control/machine/{hash}/{op}}, e.g. stop, reboot). */
    public String operate(String programHash, String operation, OwnerAuth auth) throws CrnException {
        String path = "/control/machine/" + programHash + "/" + operation;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(timeout)
                .POST(HttpRequest.BodyPublishers.noBody());
        auth.headers("POST", path).forEach(b::header);
        HttpResponse<String> resp = send(b.build());
        if (resp.statusCode() >= 300) throw error(b.build().uri(), resp);
        return resp.body();
    }

    /** {@code GET /about} (aleph4j's node description), empty on 404. */
    public Optional<JsonNode> about() throws CrnException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "/about")).timeout(timeout).GET().build();
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() == 404) return Optional.empty();
        if (resp.statusCode() >= 300) throw error(req.uri(), resp);
        return Optional.ofNullable(parse(resp.body()));
    }

    /** A new {@link OwnerAuth} for this CRN. */
    public static OwnerAuth auth(EthAccount owner, String domain) {
        return new OwnerAuth(owner, domain);
    }

    @Override
    public void close() {
        http.close();
    }

    private JsonNode call(HttpRequest req) throws CrnException {
        HttpResponse<String> resp = send(req);
        if (resp.statusCode() >= 300) throw error(req.uri(), resp);
        return parse(resp.body());
    }

    private HttpResponse<String> send(HttpRequest req) throws CrnException {
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CrnException(req.uri(), 0, "interrupted while calling " + req.uri());
        } catch (IOException e) {
            String reason = e instanceof java.net.ConnectException ? "connection refused"
                    : e instanceof java.net.http.HttpTimeoutException ? "timed out" : String.valueOf(e.getMessage());
            CrnException ex = new CrnException(req.uri(), 0, "cannot reach the CRN at " + baseUrl + ": " + reason);
            ex.initCause(e);
            throw ex;
        }
    }

    private static JsonNode parse(String text) {
        if (text == null || text.isBlank()) return null;
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            return null;
        }
    }

    private static CrnException error(URI uri, HttpResponse<String> resp) {
        JsonNode json = parse(resp.body());
        String msg = json != null && json.hasNonNull("error") ? json.get("error").asText()
                : resp.body() == null || resp.body().isBlank() ? "HTTP " + resp.statusCode() : resp.body().strip();
        return new CrnException(uri, resp.statusCode(), msg);
    }

    /** A CRN call failed; {@link #httpStatus()} is 0 when the CRN could not be reached. */
    public static final class CrnException extends IOException {
        private final URI url;
        private final int httpStatus;

        public CrnException(URI url, int httpStatus, String message) {
            super(message);
            this.url = url;
            this.httpStatus = httpStatus;
        }

        public URI url() {
            return url;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }
}
