package org.aleph4j.ccn.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.aleph4j.ccn.storage.MessageFilter;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;

/** Query-string parsing shared by the message list and the websocket: upstream's names, their snake_case aliases, 422 on bad values. */
public final class QueryParams {

    private QueryParams() {}

    public static List<String> list(Map<String, List<String>> q, String... names) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            List<String> vs = q.get(n);
            if (vs == null) continue;
            for (String v : vs) for (String part : v.split(",")) if (!part.isBlank()) out.add(part.trim());
        }
        return out;
    }

    public static String one(Map<String, List<String>> q, String... names) {
        for (String n : names) {
            List<String> vs = q.get(n);
            if (vs != null && !vs.isEmpty() && !vs.get(0).isBlank()) return vs.get(0).trim();
        }
        return null;
    }

    public static Double number(Map<String, List<String>> q, String... names) {
        String v = one(q, names);
        if (v == null) return null;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new ApiException(422, 0, names[0] + " must be a number, got " + v, Map.of());
        }
    }

    public static int integer(Map<String, List<String>> q, int def, int min, int max, String... names) {
        String v = one(q, names);
        if (v == null) return def;
        try {
            int i = Integer.parseInt(v);
            if (i < min || i > max) throw new NumberFormatException();
            return i;
        } catch (NumberFormatException e) {
            throw new ApiException(422, 0, names[0] + " must be an integer in " + min + ".." + max + ", got " + v, Map.of());
        }
    }

    /**
     * {@code since_sequence} (alias {@code sinceSequence}, aleph4j extension): read the changes numbered above it;
     * null when absent. A non-negative integer, else 422.
     */
    public static Long sequence(Map<String, List<String>> q) {
        String v = one(q, "since_sequence", "sinceSequence");
        if (v == null) return null;
        try {
            long n = Long.parseLong(v);
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new ApiException(422, 0, "since_sequence must be a non-negative integer, got " + v, Map.of());
        }
    }

    /** Parses the filters of §5.3, with snake_case aliases. */
    public static MessageFilter filter(Map<String, List<String>> q) {
        List<String> types = list(q, "msgTypes", "msg_types", "msgType", "msg_type");
        for (String t : types) {
            if (MessageType.parse(t) == null) throw new ApiException(422, 0, "unknown message type: " + t, Map.of());
        }
        List<String> statuses = list(q, "msgStatuses", "msg_statuses");
        for (String s : statuses) if (MessageStatus.parse(s).isEmpty()) throw new ApiException(422, 0, "unknown status: " + s, Map.of());
        return new MessageFilter(types, statuses, list(q, "addresses"), list(q, "owners"), list(q, "refs"),
                list(q, "hashes"), list(q, "channels"), list(q, "contentTypes", "content_types"),
                list(q, "contentKeys", "content_keys"), list(q, "contentHashes", "content_hashes"), list(q, "chains"),
                number(q, "startDate", "start_date"), number(q, "endDate", "end_date"));
    }

    public static String stripJson(String s) {
        return s.endsWith(".json") ? s.substring(0, s.length() - 5) : s;
    }
}
