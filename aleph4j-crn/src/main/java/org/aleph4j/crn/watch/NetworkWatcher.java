package org.aleph4j.crn.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.InstantSource;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageStream;
import org.aleph4j.client.StreamFrame;
import org.aleph4j.crn.execution.ExecutionSupervisor;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.message.MessageStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the CCN stream: a STORE amending a program's code ref restarts it with the new code, a
 * FORGET (or a frame saying a program is forgotten or being removed) stops it at once.
 */
public final class NetworkWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NetworkWatcher.class);
    private final ExecutionSupervisor supervisor;
    private final Preparer preparer;
    private final MessageStream subscription;
    private volatile boolean closed;

    /**
     * Subscribes to the CCN's stream from now on, like upstream's CRN ({@code ?startDate=<now>},
     * reference §6.8); the client reconnects with back-off and fills gaps after a reconnect.
     */
    public NetworkWatcher(CcnClient ccn, ExecutionSupervisor supervisor, Preparer preparer, InstantSource clock) {
        this.supervisor = supervisor;
        this.preparer = preparer;
        this.subscription = ccn.subscribe(MessageQuery.all(), clock.millis() / 1000.0, this::onFrame);
    }

    /** Handles one raw stream frame: a message, or {@code {status, message}}. Public so tests and other feeds can push frames. */
    public void onFrame(JsonNode frame) {
        onFrame(StreamFrame.of(frame));
    }

    /** Handles one stream frame: a rejected, forgotten or (being) removed program stops; STORE and FORGET act on their content. */
    public void onFrame(StreamFrame frame) {
        if (closed) return;
        String hash = frame.itemHash();
        MessageStatus status = frame.status();
        if (status != null && status.unusable() && frame.hasHash()) {
            gone(hash, "message " + status.value());
            return;
        }
        JsonNode content = frame.content() == null ? MissingNode.getInstance() : frame.content();
        switch (frame.type()) {
            case "STORE" -> {
                String ref = content.path("ref").asText("");
                if (!ref.isEmpty()) supervisor.codeUpdated(ref);
            }
            case "FORGET" -> {
                for (JsonNode h : content.path("hashes")) gone(h.asText(), "forgotten by " + hash);
            }
            default -> { }
        }
    }

    private void gone(String hash, String why) {
        preparer.forget(hash);
        if (supervisor.all().stream().anyMatch(e -> e.itemHash().equals(hash))) {
            log.info("stopping {}: {}", hash, why);
            supervisor.stopProgram(hash, why);
        }
    }

    @Override
    public void close() {
        closed = true;
        // MessageStream.close() stops deliveries and aborts the socket at once, but then joins its
        // worker for up to 5 s (the worker only wakes at its next ping); shutdown does not wait for that.
        Thread.ofVirtual().name("ccn-stream-close").start(subscription::close);
    }
}
