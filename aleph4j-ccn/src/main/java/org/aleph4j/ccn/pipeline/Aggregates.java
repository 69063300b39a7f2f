package org.aleph4j.ccn.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.aleph4j.ccn.balance.Pricing;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.jdbi.v3.core.Handle;

/** Aggregates as the pipeline reads them: an owner's keys merged in order, and the pricing aggregate. */
final class Aggregates {
    private final MessageStore store;
    private final String pricingOwner;

    Aggregates(MessageStore store, String pricingOwner) {
        this.store = store;
        this.pricingOwner = pricingOwner;
    }

    /** The merged aggregate of {@code owner} for {@code keys} (all keys when empty): {key: merged object}. */
    ObjectNode merged(Handle h, String owner, List<String> keys) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        for (MessageRow r : store.aggregateMessages(h, owner, keys)) {
            try {
                JsonNode content = Json.parseTree(r.content());
                JsonNode value = content.path("content");
                String key = r.contentKey();
                if (key == null || !value.isObject()) continue;
                JsonNode existing = out.get(key);
                ObjectNode merged = existing instanceof ObjectNode o ? o : Json.MAPPER.createObjectNode();
                merged.setAll((ObjectNode) value);
                out.set(key, merged);
            } catch (MessageException e) {
                // stored content was valid when processed; skip anything unreadable rather than fail a read
            }
        }
        return out;
    }

    /** The node's current prices: the defaults overridden by the pricing owner's {@code pricing} aggregate. */
    Pricing pricing(Handle h) {
        return Pricing.defaults().overriddenBy(merged(h, pricingOwner, List.of("pricing")).get("pricing"));
    }
}
