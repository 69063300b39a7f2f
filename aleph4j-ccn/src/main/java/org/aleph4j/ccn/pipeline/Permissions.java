package org.aleph4j.ccn.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.PostContent;
import org.jdbi.v3.core.Handle;

/** Who may act for an address (reference §1.5): the address itself, or a sender its {@code security} aggregate authorizes. */
final class Permissions {
    private final Aggregates aggregates;

    Permissions(Aggregates aggregates) {
        this.aggregates = aggregates;
    }

    private static String lc(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }

    /** True when {@code m}'s sender may act for {@code owner}: it is the owner or the owner's security aggregate allows it. */
    boolean mayActFor(Handle h, AlephMessage m, String owner, Content content) {
        if (lc(m.sender()).equals(lc(owner))) return true;
        JsonNode security = aggregates.merged(h, owner, List.of("security")).path("security");
        for (JsonNode auth : security.path("authorizations")) {
            if (!lc(auth.path("address").asText(null)).equals(lc(m.sender()))) continue;
            if (auth.hasNonNull("chain") && !auth.path("chain").asText().equals(m.chain().value())) continue;
            if (!listAllows(auth.path("channels"), m.channel())) continue;
            if (!listAllows(auth.path("types"), m.type().name())) continue;
            if (content instanceof PostContent pc && !listAllows(auth.path("post_types"), pc.type())) continue;
            if (content instanceof AggregateContent ac && !listAllows(auth.path("aggregate_keys"), ac.keyName())) continue;
            return true;
        }
        return false;
    }

    private static boolean listAllows(JsonNode list, String value) {
        if (!list.isArray() || list.isEmpty()) return true;
        for (JsonNode v : list) if (v.asText().equals(value)) return true;
        return false;
    }

    /** Who may forget a target: whoever could have created it (its owner, or a sender the owner authorized). */
    boolean mayForget(Handle h, AlephMessage forget, ForgetContent c, MessageRow target) {
        String owner = target.owner();
        if (lc(forget.sender()).equals(lc(owner)) || lc(c.address()).equals(lc(owner)) && lc(forget.sender()).equals(lc(c.address()))) {
            return true;
        }
        if (lc(forget.sender()).equals(lc(target.sender()))) return true;
        JsonNode security = aggregates.merged(h, owner, List.of("security")).path("security");
        for (JsonNode auth : security.path("authorizations")) {
            if (!lc(auth.path("address").asText(null)).equals(lc(forget.sender()))) continue;
            if (!listAllows(auth.path("types"), target.type()) && !listAllows(auth.path("types"), "FORGET")) continue;
            if (!listAllows(auth.path("channels"), target.channel())) continue;
            return true;
        }
        return false;
    }
}
