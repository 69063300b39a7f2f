package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** Where a program's code is: the STORE message {@code ref}, its encoding and entrypoint. */
@JsonPropertyOrder({"encoding", "entrypoint", "ref", "interface", "args", "use_latest"})
public record CodeContent(Encoding encoding, String entrypoint, String ref, @JsonProperty("interface") Interface iface, List<String> args,
                          Boolean useLatest) {
    public CodeContent {
        useLatest = useLatest != null && useLatest;
    }

    /** The interface, inferred as upstream does when absent: asgi when the entrypoint has a colon. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public Interface effectiveInterface() {
        if (iface != null) return iface;
        return entrypoint != null && entrypoint.contains(":") ? Interface.ASGI : Interface.BINARY;
    }

    List<String> problems() {
        return new Checks().required("code.encoding", encoding).required("code.entrypoint", entrypoint)
                .required("code.ref", ref).itemHash("code.ref", ref).done();
    }
}
