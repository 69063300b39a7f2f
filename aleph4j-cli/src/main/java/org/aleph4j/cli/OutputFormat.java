package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * How the CLI writes times, amounts and its {@code --json} results, the same in every command
 * (docs/cli.md, "Output conventions"):
 * <ul>
 *   <li>a time is ISO 8601 in UTC with {@code Z}, to the millisecond when not a whole second
 *       ({@code 2026-12-01T19:45:03Z}, {@code 2026-12-01T19:45:03.250Z});</li>
 *   <li>an amount (ALEPH, credits) is a JSON string holding a plain decimal, at most 18 decimals
 *       (the token's), trailing zeros dropped, never an exponent ({@code "35219.07552081426"}, {@code "0"});</li>
 *   <li>a message's status is {@code status}.</li>
 * </ul>
 * {@link #normalize} applies the first two to a result by key name, so a command cannot print
 * an epoch float or a binary double by mistake. Signed messages and the documents embedded under
 * {@code message}, {@code messages} and {@code content} are left exactly as they are: their fields
 * are hashed and signed, and upstream tools read them in that form (a message's {@code time} stays
 * upstream's float seconds).
 */
public final class OutputFormat {
    /** Token decimals: no amount on the network has more. */
    public static final int AMOUNT_DECIMALS = 18;

    private static final Set<String> TIME_KEYS = Set.of("time", "since", "created", "reception_time", "start_timestamp",
            "timestamp", "processed_at", "created_at", "updated_at", "last_seen");
    private static final Set<String> AMOUNT_KEYS = Set.of("balance", "locked_amount", "available", "credit_balance",
            "credits", "required_tokens", "cost", "cost_hold", "cost_stream", "account_balance", "required_balance",
            "required", "amount", "price");
    private static final Set<String> DOCUMENT_KEYS = Set.of("message", "messages", "content");

    private OutputFormat() {}

    /** {@code seconds} since the epoch (upstream's float times) as an ISO 8601 UTC time. */
    public static String time(double seconds) {
        return time(Instant.ofEpochMilli(Math.round(seconds * 1000)));
    }

    public static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /**
     * A time given as text: epoch seconds, or ISO 8601 with any offset ({@code 2026-12-01T19:45:03.123456+00:00}),
     * rewritten in the one format; text that is neither is returned as it is.
     */
    public static String time(String text) {
        if (text == null || text.isBlank()) return text;
        try {
            return time(Double.parseDouble(text));
        } catch (NumberFormatException ignored) {
            // not epoch seconds
        }
        try {
            return time(OffsetDateTime.parse(text).toInstant());
        } catch (DateTimeParseException e) {
            try {
                return time(Instant.parse(text));
            } catch (DateTimeParseException e2) {
                return text;
            }
        }
    }

    /** A journald {@code __REALTIME_TIMESTAMP} (microseconds since the epoch, as text) as an ISO 8601 UTC time. */
    public static String journalTime(String micros) {
        try {
            long us = Long.parseLong(micros.strip());
            return time(Instant.ofEpochSecond(us / 1_000_000, (us % 1_000_000) * 1000));
        } catch (NumberFormatException | NullPointerException e) {
            return micros;
        }
    }

    /** An amount as a plain decimal: at most {@value #AMOUNT_DECIMALS} decimals, no trailing zeros, no exponent. */
    public static String amount(BigDecimal d) {
        if (d == null) return null;
        BigDecimal v = d.scale() > AMOUNT_DECIMALS ? d.setScale(AMOUNT_DECIMALS, RoundingMode.HALF_EVEN) : d;
        return v.signum() == 0 ? "0" : v.stripTrailingZeros().toPlainString();
    }

    /** An amount given as text (a CCN's decimal string); text that is not a number is returned as it is. */
    public static String amount(String text) {
        if (text == null) return null;
        try {
            return amount(new BigDecimal(text.strip()));
        } catch (NumberFormatException e) {
            return text;
        }
    }

    /** A copy of a command's result with every time and amount in the one format (see the class comment). */
    public static JsonNode normalize(JsonNode node) {
        if (node == null) return null;
        return rewrite(node.deepCopy());
    }

    /** The {@code --json} error document, as the APIs write theirs: {@code {"error", "error_code", "details"}}. */
    public static ObjectNode error(String message, int errorCode, JsonNode details) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("error", message);
        o.put("error_code", errorCode);
        o.set("details", details == null || details.isNull() ? JsonNodeFactory.instance.objectNode() : normalize(details));
        return o;
    }

    private static JsonNode rewrite(JsonNode node) {
        if (node instanceof ObjectNode o) {
            if (isSignedMessage(o)) return o;
            Iterator<Map.Entry<String, JsonNode>> it = o.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                JsonNode v = e.getValue();
                if (DOCUMENT_KEYS.contains(key)) continue;
                if (TIME_KEYS.contains(key) && v.isNumber()) e.setValue(JsonNodeFactory.instance.textNode(time(v.asDouble())));
                else if (TIME_KEYS.contains(key) && v.isTextual()) e.setValue(JsonNodeFactory.instance.textNode(time(v.asText())));
                else if (AMOUNT_KEYS.contains(key) && v.isNumber()) e.setValue(JsonNodeFactory.instance.textNode(amount(v.decimalValue())));
                else if (AMOUNT_KEYS.contains(key) && v.isTextual()) e.setValue(JsonNodeFactory.instance.textNode(amount(v.asText())));
                else rewrite(v);
            }
        } else if (node instanceof ArrayNode a) {
            a.forEach(OutputFormat::rewrite);
        }
        return node;
    }

    /** A signed aleph message (envelope): printed as signed, never rewritten. */
    private static boolean isSignedMessage(ObjectNode o) {
        return o.has("item_hash") && o.has("signature") && o.has("sender");
    }
}
