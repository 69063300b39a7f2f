package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** Data attached to a program, mounted at {@code mount}. */
@JsonPropertyOrder({"encoding", "mount", "ref", "use_latest"})
public record DataContent(Encoding encoding, String mount, String ref, Boolean useLatest) {
    public DataContent {
        useLatest = useLatest != null && useLatest;
    }
}
