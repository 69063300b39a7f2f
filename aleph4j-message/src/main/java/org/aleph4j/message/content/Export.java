package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** Data a program exports (accepted, not acted upon, as upstream). */
@JsonPropertyOrder({"encoding", "mount"})
public record Export(Encoding encoding, String mount) {}
