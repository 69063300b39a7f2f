package org.aleph4j.scheduler.placement;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code requirements.node} of a PROGRAM (reference §2): {@code node_hash} (aleph4j also accepts the
 * node's address there), {@code owner} (the node key address here) and {@code address_regex} (matched
 * against the CRN URL, as upstream's "address" is the CRN base URL).
 */
public record NodeRequirements(String nodeHash, String owner, Pattern addressRegex) {
    public static final NodeRequirements NONE = new NodeRequirements(null, null, null);

    /** Reads {@code requirements} JSON; unknown or malformed parts are ignored (the CCN validated it). */
    public static NodeRequirements from(JsonNode requirements) {
        if (requirements == null || !requirements.path("node").isObject()) return NONE;
        JsonNode node = requirements.get("node");
        String hash = text(node, "node_hash");
        String owner = text(node, "owner");
        Pattern regex = null;
        String r = text(node, "address_regex");
        if (r != null) {
            try {
                regex = Pattern.compile(r);
            } catch (PatternSyntaxException e) {
                regex = Pattern.compile("(?!)"); // an invalid regex matches no node rather than every node
            }
        }
        return hash == null && owner == null && regex == null ? NONE : new NodeRequirements(hash, owner, regex);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    public boolean matches(NodeCandidate node) {
        if (nodeHash != null && !nodeHash.equalsIgnoreCase(node.nodeHash()) && !nodeHash.equalsIgnoreCase(node.address())) {
            return false;
        }
        if (owner != null && !owner.equalsIgnoreCase(node.address())) return false;
        return addressRegex == null || (node.url() != null && addressRegex.matcher(node.url()).find());
    }
}
