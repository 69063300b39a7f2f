package org.aleph4j.ccn.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.time.Duration;
import java.util.Map;
import org.aleph4j.ccn.pipeline.PipelineWorker;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;

/** JSON answers shared by the routes: the body writer, and how a submitted message's status is answered. */
public final class Responses {
    /** How long a {@code "sync": true} submission waits for its first processing decision. */
    public static final Duration SYNC_WAIT = Duration.ofSeconds(30);

    private Responses() {}

    /** Answers {@code body} as JSON with {@code status}. */
    public static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(Json.write(body));
    }

    /** The HTTP status that answers a message in {@code status} (reference §5.1). */
    public static int httpStatusOf(String status) {
        return switch (MessageStatus.parse(status).orElse(null)) {
            case PENDING -> 202;
            case PROCESSED, REMOVING -> 200;
            case REJECTED -> 422;
            case FORGOTTEN, REMOVED -> 410;
            case null -> 200;
        };
    }

    /** Adds upstream's {@code error}, {@code error_code} and {@code details} of a rejected submission to {@code out}. */
    public static void addRejection(Map<String, Object> out, PipelineWorker.Result result) {
        JsonNode details = Json.MAPPER.createObjectNode();
        String reason = "message rejected";
        if (result.details() != null) {
            try {
                JsonNode d = Json.parseTree(result.details());
                reason = d.path("message").asText(reason);
                if (d instanceof ObjectNode o) {
                    ObjectNode c = o.deepCopy();
                    c.remove("message");
                    details = c;
                }
            } catch (MessageException ignored) {
                // details are our own JSON
            }
        }
        out.put("error", reason);
        out.put("error_code", result.errorCode());
        out.put("details", details);
    }
}
