package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A volume of a program or instance: immutable (a STORE), ephemeral (scratch space) or persistent
 * (kept by the node). Parsed with upstream's union rules, tried in order Immutable, Ephemeral,
 * Persistent, each forbidding keys it does not know: a {@code ref} makes it immutable; a dict with
 * only {@code comment, mount, ephemeral, size_mib} is ephemeral (so {@code {mount, size_mib}}
 * dumps back with {@code "ephemeral": true}); anything else must be a valid persistent volume.
 */
@JsonDeserialize(using = Volume.Parser.class)
public sealed interface Volume permits Volume.Immutable, Volume.Ephemeral, Volume.Persistent {
    String mount();

    String comment();

    /** A read-only volume from the file of a STORE message; {@code use_latest} defaults to true. */
    @JsonPropertyOrder({"comment", "mount", "ref", "use_latest"})
    @JsonDeserialize(using = JsonDeserializer.None.class)
    record Immutable(String comment, String mount, String ref, Boolean useLatest) implements Volume {
        public Immutable {
            useLatest = useLatest == null || useLatest;
        }
    }

    /** Scratch space of {@code size_mib} (1..1000) that lives as long as the execution. */
    @JsonPropertyOrder({"comment", "mount", "ephemeral", "size_mib"})
    @JsonDeserialize(using = JsonDeserializer.None.class)
    record Ephemeral(String comment, String mount, Boolean ephemeral, Integer sizeMib) implements Volume {
        public Ephemeral {
            ephemeral = ephemeral == null || ephemeral;
        }
    }

    /** A volume kept by the node ({@code host}) or stored ({@code store}), optionally copied from a parent. */
    @JsonPropertyOrder({"comment", "mount", "parent", "persistence", "name", "size_mib"})
    @JsonDeserialize(using = JsonDeserializer.None.class)
    record Persistent(String comment, String mount, Parent parent, String persistence, String name, Integer sizeMib)
            implements Volume {}

    /** The STORE a persistent volume (or an instance rootfs) is copied from. */
    @JsonPropertyOrder({"ref", "use_latest"})
    record Parent(String ref, Boolean useLatest) {
        public Parent {
            useLatest = useLatest == null || useLatest;
        }
    }

    Set<String> IMMUTABLE_KEYS = Set.of("comment", "mount", "ref", "use_latest");
    Set<String> EPHEMERAL_KEYS = Set.of("comment", "mount", "ephemeral", "size_mib");
    Set<String> PERSISTENT_KEYS = Set.of("comment", "mount", "parent", "persistence", "name", "size_mib");

    /** Schema problems of one volume at position {@code index}. */
    static List<String> problems(int index, Volume v) {
        String p = "volumes[" + index + "]";
        Checks c = new Checks().maxLen(p + ".mount", v.mount(), 256).maxLen(p + ".comment", v.comment(), 256);
        switch (v) {
            case Immutable i -> c.required(p + ".ref", i.ref()).itemHash(p + ".ref", i.ref());
            case Ephemeral e -> c.required(p + ".size_mib", e.sizeMib())
                    .check(e.sizeMib() == null || (e.sizeMib() > 0 && e.sizeMib() <= 1000), p + ".size_mib must be in 1..1000")
                    .check(e.ephemeral(), p + ".ephemeral must be true");
            case Persistent s -> c.required(p + ".size_mib", s.sizeMib())
                    .check(s.sizeMib() == null || (s.sizeMib() > 0 && s.sizeMib() <= 1_953_125), p + ".size_mib must be in 1..1953125")
                    .check(s.persistence() == null || Set.of("host", "store").contains(s.persistence()), p + ".persistence must be host or store")
                    .maxLen(p + ".name", s.name(), 256)
                    .check(s.parent() == null || s.parent().ref() != null, "field required: " + p + ".parent.ref")
                    .itemHash(p + ".parent.ref", s.parent() == null ? null : s.parent().ref());
        }
        return c.done();
    }

    /** Upstream's union resolution; a volume that fits no variant is rejected with the keys at fault. */
    final class Parser extends JsonDeserializer<Volume> {
        @Override
        public Volume deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            JsonNode node = p.readValueAsTree();
            if (node == null || !node.isObject()) {
                throw InvalidFormatException.from(p, "a volume must be an object", node, Volume.class);
            }
            var codec = p.getCodec();
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            if (node.has("ref")) {
                requireKnown(p, node, keys, IMMUTABLE_KEYS, "immutable");
                return codec.treeToValue(node, Immutable.class);
            }
            if (EPHEMERAL_KEYS.containsAll(keys) && node.path("ephemeral").asBoolean(true)) {
                return codec.treeToValue(node, Ephemeral.class);
            }
            requireKnown(p, node, keys, PERSISTENT_KEYS, "persistent");
            return codec.treeToValue(node, Persistent.class);
        }

        private static void requireKnown(JsonParser p, JsonNode node, List<String> keys, Set<String> allowed, String kind)
                throws IOException {
            List<String> extra = keys.stream().filter(k -> !allowed.contains(k)).toList();
            if (!extra.isEmpty()) {
                throw InvalidFormatException.from(p, "unknown keys " + extra + " in " + kind + " volume", node, Volume.class);
            }
        }
    }
}
