package org.aleph4j.crn.prepare;

import org.aleph4j.message.content.ProgramContent;

/** A verified PROGRAM message: its item hash, owner (content.address) and content. */
public record ProgramInfo(String itemHash, String owner, ProgramContent content) {
    public boolean persistent() {
        return content.isPersistent();
    }
}
