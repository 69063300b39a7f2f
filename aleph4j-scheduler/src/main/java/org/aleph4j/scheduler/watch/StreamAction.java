package org.aleph4j.scheduler.watch;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.scheduler.store.Records.ProgramRow;

import java.util.ArrayList;
import java.util.List;

/** What one CCN message means for the scheduler; {@link #of} is pure. */
public sealed interface StreamAction {
    /** Register a persistent program (and bring it back if it was removed for its balance). */
    record Add(ProgramRow program) implements StreamAction {}

    /** Remove a program's allocation and stop scheduling it. */
    record Remove(String itemHash, String reason) implements StreamAction {}

    /** Reason prefix of removals that a restored balance undoes. */
    String REMOVING = MessageStatus.REMOVING.value();

    /** Actions for a message frame (top-level {@code status} defaults to processed). */
    static List<StreamAction> of(JsonNode m) {
        List<StreamAction> out = new ArrayList<>();
        String type = m.path("type").asText("");
        String hash = m.path("item_hash").asText("");
        String status = m.path("status").asText("processed");
        if (hash.isEmpty()) return out;
        switch (status) {
            case "forgotten", "removed", "rejected" -> {
                out.add(new Remove(hash, "message " + status + " at the CCN"));
                return out;
            }
            case "removing" -> {
                out.add(new Remove(hash, REMOVING + ": the owner's balance no longer covers it"));
                return out;
            }
            case "processed" -> { }
            default -> {
                return out; // pending: nothing to do yet
            }
        }
        JsonNode content = content(m);
        if (content == null) return out;
        if ("FORGET".equals(type)) {
            for (JsonNode h : content.path("hashes")) out.add(new Remove(h.asText(), "forgotten by " + hash));
        } else if ("PROGRAM".equals(type)) {
            ProgramContent p;
            try {
                p = Json.MAPPER.treeToValue(content, ProgramContent.class);
            } catch (Exception e) {
                return out;
            }
            if (p.replaces() != null && !p.replaces().isBlank()) {
                out.add(new Remove(p.replaces(), "replaced by " + hash + (p.isPersistent() ? "" : " (unpersisted)")));
            }
            if (p.isPersistent()) {
                int vcpus = p.resources() == null ? 1 : p.resources().vcpus();
                long memory = p.resources() == null ? 128 : p.resources().memory();
                String runtime = p.runtime() == null ? null : p.runtime().ref();
                String requirements = p.requirements() == null || p.requirements().isNull() ? null : Json.write(p.requirements());
                long created = (long) (m.path("time").asDouble(p.time()) * 1000);
                out.add(new Add(new ProgramRow(hash, p.address(), vcpus, memory, runtime, requirements, "active", null,
                        null, null, 0, created)));
            }
        }
        return out;
    }

    private static JsonNode content(JsonNode m) {
        JsonNode c = m.get("content");
        if (c != null && c.isObject()) return c;
        JsonNode ic = m.get("item_content");
        if (ic != null && ic.isTextual()) {
            try {
                return Json.MAPPER.readTree(ic.asText());
            } catch (Exception e) {
                return null;
            }
        }
        return null;
    }
}
