package org.aleph4j.message.content;

import java.util.List;

/** The content of a message: every type has an owner address and a time. */
public sealed interface Content
        permits PostContent, AggregateContent, StoreContent, ProgramContent, InstanceContent, ForgetContent {
    String address();

    double time();

    /** Schema problems beyond JSON shape (limits, enums, required fields); empty when valid. */
    List<String> problems();
}
