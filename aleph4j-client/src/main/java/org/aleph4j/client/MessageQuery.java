package org.aleph4j.client;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Filters of {@code GET /api/v0/messages.json} and of the message websocket (reference §5.3).
 * Empty lists and nulls mean "no filter". Build with {@link #builder()}.
 *
 * <p>{@code sinceSequence} (aleph4j extension, sent as {@code since_sequence}) reads only messages
 * whose latest change the CCN numbered above it, in sequence order: the way to read "everything
 * that changed since" without trusting the senders' {@code time}. It excludes {@code startDate}
 * on the websocket.
 */
public record MessageQuery(List<String> msgTypes, List<String> msgStatuses, List<String> addresses, List<String> owners,
                           List<String> refs, List<String> hashes, List<String> channels, List<String> contentTypes,
                           Double startDate, Double endDate, Integer pagination, Integer page, Integer sortOrder,
                           Long sinceSequence) {

    public MessageQuery {
        msgTypes = copy(msgTypes);
        msgStatuses = copy(msgStatuses);
        addresses = copy(addresses);
        owners = copy(owners);
        refs = copy(refs);
        hashes = copy(hashes);
        channels = copy(channels);
        contentTypes = copy(contentTypes);
    }

    private static List<String> copy(List<String> l) {
        return l == null ? List.of() : List.copyOf(l);
    }

    /** No filter at all. */
    public static MessageQuery all() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with this query's filters. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.msgTypes.addAll(msgTypes);
        b.msgStatuses.addAll(msgStatuses);
        b.addresses.addAll(addresses);
        b.owners.addAll(owners);
        b.refs.addAll(refs);
        b.hashes.addAll(hashes);
        b.channels.addAll(channels);
        b.contentTypes.addAll(contentTypes);
        b.startDate = startDate;
        b.endDate = endDate;
        b.pagination = pagination;
        b.page = page;
        b.sortOrder = sortOrder;
        b.sinceSequence = sinceSequence;
        return b;
    }

    /** The query parameters, upstream's camelCase names, comma-joined lists, in a stable order. */
    public Map<String, String> parameters() {
        Map<String, String> p = new LinkedHashMap<>();
        list(p, "msgTypes", msgTypes);
        list(p, "msgStatuses", msgStatuses);
        list(p, "addresses", addresses);
        list(p, "owners", owners);
        list(p, "refs", refs);
        list(p, "hashes", hashes);
        list(p, "channels", channels);
        list(p, "contentTypes", contentTypes);
        if (startDate != null) p.put("startDate", num(startDate));
        if (endDate != null) p.put("endDate", num(endDate));
        if (pagination != null) p.put("pagination", pagination.toString());
        if (page != null) p.put("page", page.toString());
        if (sortOrder != null) p.put("sortOrder", sortOrder.toString());
        if (sinceSequence != null) p.put("since_sequence", sinceSequence.toString());
        return p;
    }

    /** The URL query string (without '?'), empty when there is no filter. */
    public String queryString() {
        StringBuilder sb = new StringBuilder();
        parameters().forEach((k, v) -> {
            if (!sb.isEmpty()) sb.append('&');
            sb.append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        return sb.toString();
    }

    private static void list(Map<String, String> p, String name, List<String> values) {
        if (!values.isEmpty()) p.put(name, String.join(",", values));
    }

    private static String num(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }

    /** Mutable builder of a {@link MessageQuery}. */
    public static final class Builder {
        private final List<String> msgTypes = new ArrayList<>();
        private final List<String> msgStatuses = new ArrayList<>();
        private final List<String> addresses = new ArrayList<>();
        private final List<String> owners = new ArrayList<>();
        private final List<String> refs = new ArrayList<>();
        private final List<String> hashes = new ArrayList<>();
        private final List<String> channels = new ArrayList<>();
        private final List<String> contentTypes = new ArrayList<>();
        private Double startDate;
        private Double endDate;
        private Integer pagination;
        private Integer page;
        private Integer sortOrder;
        private Long sinceSequence;

        public Builder msgTypes(String... v) { msgTypes.addAll(List.of(v)); return this; }
        public Builder msgStatuses(String... v) { msgStatuses.addAll(List.of(v)); return this; }
        public Builder addresses(String... v) { addresses.addAll(List.of(v)); return this; }
        public Builder owners(String... v) { owners.addAll(List.of(v)); return this; }
        public Builder refs(String... v) { refs.addAll(List.of(v)); return this; }
        public Builder hashes(String... v) { hashes.addAll(List.of(v)); return this; }
        public Builder hashes(List<String> v) { hashes.addAll(v); return this; }
        public Builder channels(String... v) { channels.addAll(List.of(v)); return this; }
        public Builder contentTypes(String... v) { contentTypes.addAll(List.of(v)); return this; }
        public Builder startDate(Double v) { startDate = v; return this; }
        public Builder endDate(Double v) { endDate = v; return this; }
        public Builder pagination(Integer v) { pagination = v; return this; }
        public Builder page(Integer v) { page = v; return this; }
        public Builder sortOrder(Integer v) { sortOrder = v; return this; }
        /** Only changes numbered above {@code v}, oldest first (null: no such bound). */
        public Builder sinceSequence(Long v) { sinceSequence = v; return this; }

        public MessageQuery build() {
            return new MessageQuery(msgTypes, msgStatuses, addresses, owners, refs, hashes, channels, contentTypes,
                    startDate, endDate, pagination, page, sortOrder, sinceSequence);
        }
    }
}
