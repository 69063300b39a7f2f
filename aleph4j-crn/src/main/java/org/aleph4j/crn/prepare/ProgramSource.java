package org.aleph4j.crn.prepare;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.aleph4j.message.AlephMessage;

/** Where a CRN reads messages and files from: the CCN's upstream API. */
public interface ProgramSource {
    /** A message with its status as the CCN reports it ({@code processed}, {@code forgotten}, ...). */
    record Fetched(String status, AlephMessage message, JsonNode content) {}

    /** The message {@code hash}, or empty when the CCN does not know it. */
    Optional<Fetched> message(String hash);

    /** The newest STORE by {@code owner} whose content.ref is {@code ref} (reference §3.4), if any. */
    Optional<Fetched> latestAmend(String ref, String owner);

    /** Streams the stored file {@code fileHash} into {@code target}. */
    void download(String fileHash, Path target);

    /** Subscribes to the live message stream; each frame is the message JSON. */
    AutoCloseable stream(Consumer<JsonNode> onMessage);
}
