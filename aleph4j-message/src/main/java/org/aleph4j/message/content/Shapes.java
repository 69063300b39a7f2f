package org.aleph4j.message.content;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Puts the upstream sub-models that aleph4j keeps as JSON (instance environment, rootfs,
 * requirements, published ports) into upstream's "full dump" shape: model key order, defaults
 * filled in, nulls removed. Unknown keys are kept after the known ones, so nothing is lost.
 */
final class Shapes {
    private Shapes() {}

    record Key(String name, JsonNode dflt, UnaryOperator<JsonNode> inner) {
        static Key of(String name) {
            return new Key(name, null, null);
        }

        static Key of(String name, JsonNode dflt) {
            return new Key(name, dflt, null);
        }

        static Key nested(String name, UnaryOperator<JsonNode> inner) {
            return new Key(name, null, inner);
        }
    }

    static final BooleanNode FALSE = BooleanNode.FALSE;
    static final BooleanNode TRUE = BooleanNode.TRUE;

    /** Reorders an object; non-objects are returned unchanged (schema checks report them). */
    static JsonNode shape(JsonNode node, List<Key> keys) {
        if (node == null || node.isNull()) return null;
        if (!node.isObject()) return node;
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Key k : keys) {
            JsonNode v = node.get(k.name());
            if (v == null || v.isNull()) v = k.dflt();
            else if (k.inner() != null) v = k.inner().apply(v);
            if (v != null && !v.isNull()) out.set(k.name(), v);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!out.has(e.getKey()) && !e.getValue().isNull() && keys.stream().noneMatch(k -> k.name().equals(e.getKey()))) {
                out.set(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    static UnaryOperator<JsonNode> eachOf(List<Key> keys) {
        return list -> {
            if (!list.isArray()) return list;
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            list.forEach(item -> out.add(shape(item, keys)));
            return out;
        };
    }

    static final List<Key> PUBLISHED_PORT = List.of(Key.of("protocol", TextNode.valueOf("tcp")), Key.of("port"));

    static final List<Key> TRUSTED_EXECUTION = List.of(Key.of("firmware"), Key.of("policy", IntNode.valueOf(1)),
            Key.of("mode"), Key.of("runtime"), Key.of("measurements"), Key.of("attestation_port"));

    static final List<Key> INSTANCE_ENVIRONMENT = List.of(Key.of("internet", FALSE), Key.of("aleph_api", FALSE),
            Key.of("hypervisor"), Key.nested("trusted_execution", n -> shape(n, TRUSTED_EXECUTION)),
            Key.of("reproducible", FALSE), Key.of("shared_cache", FALSE));

    static final List<Key> PARENT = List.of(Key.of("ref"), Key.of("use_latest", TRUE));

    static final List<Key> ROOTFS = List.of(Key.nested("parent", n -> shape(n, PARENT)), Key.of("persistence"),
            Key.of("size_mib"), Key.of("forgotten_by"));

    static final List<Key> REQUIREMENTS = List.of(
            Key.nested("cpu", n -> shape(n, List.of(Key.of("architecture"), Key.of("vendor"), Key.of("features")))),
            Key.nested("node", n -> shape(n, List.of(Key.of("owner"), Key.of("address_regex"), Key.of("node_hash"),
                    Key.of("terms_and_conditions")))),
            Key.nested("gpu", eachOf(List.of(Key.of("vendor"), Key.of("device_name"), Key.of("device_class"),
                    Key.of("device_id")))));
}
