package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** FORGET content: hides the listed messages (and aggregates) of their owner. */
@JsonPropertyOrder({"address", "time", "hashes", "aggregates", "reason"})
public record ForgetContent(String address, double time, List<String> hashes, List<String> aggregates, String reason)
        implements Content {
    public ForgetContent {
        hashes = hashes == null ? List.of() : List.copyOf(hashes);
        aggregates = aggregates == null ? List.of() : List.copyOf(aggregates);
    }

    @Override
    public List<String> problems() {
        Checks c = new Checks().address(address).time(time).maxSize("hashes", hashes, 1000)
                .maxSize("aggregates", aggregates, 1000).maxLen("reason", reason, 1000);
        // An empty target list is schema-valid upstream; the CCN rejects it later with FORGET_NO_TARGET (500).
        for (String h : hashes) c.itemHash("hashes[]", h);
        for (String h : aggregates) c.itemHash("aggregates[]", h);
        return c.done();
    }
}
