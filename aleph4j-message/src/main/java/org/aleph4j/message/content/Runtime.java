package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** The runtime a program runs on: a STORE message reference and a comment. */
@JsonPropertyOrder({"ref", "use_latest", "comment"})
public record Runtime(String ref, Boolean useLatest, String comment) {
    public Runtime {
        useLatest = useLatest == null || useLatest;
    }

    List<String> problems() {
        return new Checks().required("runtime.ref", ref).required("runtime.comment", comment).itemHash("runtime.ref", ref).done();
    }
}
