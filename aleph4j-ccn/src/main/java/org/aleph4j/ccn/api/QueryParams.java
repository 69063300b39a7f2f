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
                number(q, "startDate", "start_date"), number(q, "endDate", "end_date"), list(q, "tags"));
    }

    /** A boolean parameter: true/false, 1/0, yes/no (any case); {@code def} when absent, 422 otherwise. */
    public static boolean bool(Map<String, List<String>> q, boolean def, String... names) {
        String v = one(q, names);
        if (v == null) return def;
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ApiException(422, 0, names[0] + " must be true or false, got " + v, Map.of());
        };
    }

    /** {@code sortOrder} (alias {@code sort_order}): -1 (the default, newest first) or 1; 422 otherwise. */
    public static int sortOrder(Map<String, List<String>> q) {
        int o = integer(q, -1, -1, 1, "sortOrder", "sort_order");
        if (o == 0) throw new ApiException(422, 0, "sortOrder must be -1 or 1", Map.of());
        return o;
    }

    /**
     * A page size: {@code def} when absent; 0 (upstream's "no limit") and anything above {@code max} mean
     * {@code max}; negative or not a number: 422.
     */
    public static int pageSize(Map<String, List<String>> q, int def, int max) {
        int requested = integer(q, def, 0, Integer.MAX_VALUE, "pagination");
        return requested == 0 || requested > max ? max : requested;
    }

    /** A page number from the path ({@code /page/{n}.json}) or {@code page}: at least 1, else 422. */
    public static int page(Map<String, List<String>> q, String pathPage) {
        if (pathPage == null) return integer(q, 1, 1, Integer.MAX_VALUE, "page");
        try {
            int p = Integer.parseInt(stripJson(pathPage));
            if (p < 1) throw new NumberFormatException();
            return p;
        } catch (NumberFormatException e) {
            throw new ApiException(422, 0, "page must be a positive integer, got " + pathPage, Map.of());
        }
    }

    /**
     * Checks an account address: 1 to 128 letters and digits (EVM, base58 and bech32 addresses all are), and an
     * {@code 0x} address must be 40 hex digits. 422 otherwise, so a typo is told apart from an empty account.
     */
    public static String address(String a, String what) {
        boolean ok = a != null && !a.isEmpty() && a.length() <= 128 && a.chars().allMatch(ch -> ch < 128 && Character.isLetterOrDigit(ch));
        if (ok && (a.startsWith("0x") || a.startsWith("0X"))) ok = a.length() == 42 && a.substring(2).chars().allMatch(ch -> Character.digit(ch, 16) >= 0);
        if (!ok) throw new ApiException(422, 0, what + " is not a valid address: " + a, Map.of("address", String.valueOf(a)));
        return a;
    }

    /** Every address of a comma-separated list parameter, each checked by {@link #address}. */
    public static List<String> addresses(Map<String, List<String>> q, String... names) {
        List<String> out = list(q, names);
        for (String a : out) address(a, names[0]);
        return out;
    }

    public static String stripJson(String s) {
        return s.endsWith(".json") ? s.substring(0, s.length() - 5) : s;
    }
}
