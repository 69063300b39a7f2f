package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * A volume of a program: immutable (a STORE), ephemeral (scratch space) or persistent (kept by the
 * node). Parsed with upstream's union rules: a {@code ref} makes it immutable; only
 * {@code comment, mount, ephemeral, size_mib} make it ephemeral; anything else is persistent.
 */
@JsonDeserialize(using = Volume.Parser.class)
public sealed interface Volume permits Volume.Immutable, Volume.Ephemeral, Volume.Persistent {
    String mount();

    String comment();

    @JsonPropertyOrder({"comment", "mount", "ref", "use_latest"})
    record Immutable(String comment, String mount, String ref, Boolean useLatest) implements Volume {
        public Immutable {
            useLatest = useLatest == null || useLatest;
        }
    }

    @JsonPropertyOrder({"comment", "mount", "ephemeral", "size_mib"})
    record Ephemeral(String comment, String mount, Boolean ephemeral, Integer sizeMib) implements Volume {
        public Ephemeral {
            ephemeral = ephemeral == null || ephemeral;
        }
    }

    @JsonPropertyOrder({"comment", "mount", "parent", "persistence", "name", "size_mib"})
    record Persistent(String comment, String mount, Parent parent, String persistence, String name, Integer sizeMib)
            implements Volume {}

    @JsonPropertyOrder({"ref", "use_latest"})
    record Parent(String ref, Boolean useLatest) {
        public Parent {
            useLatest = useLatest == null || useLatest;
        }
    }

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
                    .itemHash(p + ".parent.ref", s.parent() == null ? null : s.parent().ref());
        }
        return c.done();
    }

    final class Parser extends JsonDeserializer<Volume> {
        private static final Set<String> EPHEMERAL_KEYS = Set.of("comment", "mount", "ephemeral", "size_mib");

        @Override
        public Volume deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            JsonNode node = p.readValueAsTree();
            if (node == null || !node.isObject()) {
                throw InvalidFormatException.from(p, "a volume must be an object", node, Volume.class);
            }
            var codec = p.getCodec();
            if (node.has("ref")) return codec.treeToValue(node, Immutable.class);
            boolean ephemeralShape = true;
            for (var it = node.fieldNames(); it.hasNext(); ) ephemeralShape &= EPHEMERAL_KEYS.contains(it.next());
            if (ephemeralShape && node.path("ephemeral").asBoolean(true)) return codec.treeToValue(node, Ephemeral.class);
            return codec.treeToValue(node, Persistent.class);
        }
    }
}
