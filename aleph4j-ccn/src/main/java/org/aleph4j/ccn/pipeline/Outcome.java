package org.aleph4j.ccn.pipeline;

import java.util.Map;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.message.ErrorCode;

/** What processing one pending message decided. */
public sealed interface Outcome {
    /** Accepted: the derived content fields to store. */
    record Processed(MessageStore.ContentFields fields) implements Outcome {}

    /** Refused for good. */
    record Rejected(ErrorCode code, String reason, Map<String, Object> details) implements Outcome {}

    /** Not yet: a dependency ({@code waitingFor}) is missing; the message stays pending and is retried. */
    record Retry(ErrorCode code, String reason, String waitingFor) implements Outcome {}
}
