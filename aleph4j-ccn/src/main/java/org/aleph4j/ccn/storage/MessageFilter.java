package org.aleph4j.ccn.storage;

import org.aleph4j.message.MessageStatus;
import java.util.Arrays;
import java.util.List;

/**
 * Filters of {@code GET /api/v0/messages.json} and the websocket (reference §5.3). Empty lists mean
 * "any". Addresses are compared case-insensitively. {@code tags} matches messages carrying any of them
 * ({@link MessageTags}).
 */
public record MessageFilter(List<String> types, List<String> statuses, List<String> senders, List<String> owners,
                            List<String> refs, List<String> hashes, List<String> channels, List<String> contentTypes,
                            List<String> contentKeys, List<String> contentHashes, List<String> chains, Double startDate,
                            Double endDate, List<String> tags) {
    public static final List<String> DEFAULT_STATUSES = Arrays.stream(MessageStatus.values())
            .filter(MessageStatus::visible).map(MessageStatus::value).toList();
    /**
     * What the websocket sends when no {@code msgStatuses} is given: processed messages and the later changes of
     * processed ones (removing, forgotten, removed), so a subscriber learns when a message it saw goes away.
     */
    public static final List<String> STREAM_STATUSES = Arrays.stream(MessageStatus.values())
            .filter(s -> s == MessageStatus.PROCESSED || s.gone()).map(MessageStatus::value).toList();

    public MessageFilter {
        types = nz(types);
        statuses = statuses == null || statuses.isEmpty() ? DEFAULT_STATUSES : List.copyOf(statuses);
        senders = nz(senders).stream().map(s -> s.toLowerCase(java.util.Locale.ROOT)).toList();
        owners = nz(owners).stream().map(s -> s.toLowerCase(java.util.Locale.ROOT)).toList();
        refs = nz(refs);
        hashes = nz(hashes);
        channels = nz(channels);
        contentTypes = nz(contentTypes);
        contentKeys = nz(contentKeys);
        contentHashes = nz(contentHashes);
        chains = nz(chains);
        tags = nz(tags);
    }

    /** Without a {@code tags} filter. */
    public MessageFilter(List<String> types, List<String> statuses, List<String> senders, List<String> owners,
                         List<String> refs, List<String> hashes, List<String> channels, List<String> contentTypes,
                         List<String> contentKeys, List<String> contentHashes, List<String> chains, Double startDate,
                         Double endDate) {
        this(types, statuses, senders, owners, refs, hashes, channels, contentTypes, contentKeys, contentHashes, chains,
                startDate, endDate, List.of());
    }

    private static List<String> nz(List<String> l) {
        return l == null ? List.of() : List.copyOf(l);
    }

    /** A copy with other statuses and no date range (a stream subscriber's filter). */
    public MessageFilter withStatuses(List<String> statuses) {
        return new MessageFilter(types, statuses, senders, owners, refs, hashes, channels, contentTypes, contentKeys,
                contentHashes, chains, null, null, tags);
    }

    /** True when a stored row passes every filter except the date range (used by the live stream). */
    public boolean matches(MessageRow r) {
        return statuses.contains(r.status())
                && (types.isEmpty() || types.contains(r.type()))
                && (senders.isEmpty() || senders.contains(lc(r.sender())))
                && (owners.isEmpty() || owners.contains(lc(r.owner())))
                && (refs.isEmpty() || refs.contains(r.contentRef()))
                && (hashes.isEmpty() || hashes.contains(r.itemHash()))
                && (channels.isEmpty() || channels.contains(r.channel()))
                && (contentTypes.isEmpty() || contentTypes.contains(r.contentType()))
                && (contentKeys.isEmpty() || contentKeys.contains(r.contentKey()))
                && (contentHashes.isEmpty() || contentHashes.contains(r.contentItemHash()))
                && (chains.isEmpty() || chains.contains(r.chain()))
                && (tags.isEmpty() || MessageTags.of(r.type(), r.content()).stream().anyMatch(tags::contains));
    }

    private static String lc(String s) {
        return s == null ? null : s.toLowerCase(java.util.Locale.ROOT);
    }
}
