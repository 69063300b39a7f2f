package org.aleph4j.scheduler.watch;

import org.aleph4j.client.CcnClient;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageStream;
import org.aleph4j.client.StreamFrame;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.SchedulerStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies the CCN's message stream to the engine and reconciles statuses. Runs only on the leader,
 * since the leader's in-memory lease book must see every removal.
 */
public final class ProgramWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProgramWatcher.class);
    static final String CURSOR = "ccn_stream";
    private static final int BATCH = 50;

    private final CcnClient ccn;
    private final AllocationEngine engine;
    private final SchedulerStore store;
    private volatile MessageStream stream;

    public ProgramWatcher(CcnClient ccn, AllocationEngine engine, SchedulerStore store) {
        this.ccn = ccn;
        this.engine = engine;
        this.store = store;
    }

    /**
     * Subscribes after the stored cursor, the CCN sequence of the last message applied (catch-up after a
     * restart), or from the beginning of the log the first time. The CCN numbers messages in the order they
     * became visible, so every PROGRAM or FORGET it processed while this scheduler was away is numbered above
     * the cursor, whatever time its sender wrote in it.
     */
    public synchronized void start() {
        if (stream != null) return;
        long after = store.cursor(CURSOR).orElse(0L);
        log.info("following the CCN stream at {} after sequence {}", ccn.baseUrl(), after);
        stream = ccn.subscribeAfter(MessageQuery.builder().msgTypes("PROGRAM", "FORGET").build(), after, this::onMessage);
    }

    void onMessage(StreamFrame m) {
        List<StreamAction> actions = StreamAction.of(m);
        // The stream does not redeliver: retry a failing database write a few times before giving up, and save
        // the cursor only once the message is applied. A message given up on is covered by a catch-up only if
        // the scheduler restarts before a later message moves the cursor on; the reconcile covers removals.
        for (int attempt = 1; ; attempt++) {
            try {
                apply(actions);
                if (m.sequence() != null) store.saveCursor(CURSOR, m.sequence());
                return;
            } catch (RuntimeException e) {
                if (attempt >= 5) {
                    log.warn("could not apply message {}: {}", m.itemHash(), e.toString());
                    return;
                }
                try {
                    Thread.sleep(100L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    void apply(List<StreamAction> actions) {
        for (StreamAction a : actions) {
            switch (a) {
                case StreamAction.Add add -> {
                    if (!engine.addProgram(add.program())) engine.reactivate(add.program().itemHash());
                }
                case StreamAction.Remove r -> engine.removeProgram(r.itemHash(), r.reason());
            }
        }
    }

    /**
     * Re-checks every active program (and those removed for their balance) through
     * {@code GET /api/v0/messages.json?hashes=...&msgStatuses=...}, so a missed stream frame cannot
     * leave a forgotten program running or an unpaid one allocated.
     */
    public void reconcile() {
        List<String> active = store.activePrograms().stream().map(ProgramRow::itemHash).toList();
        for (int i = 0; i < active.size(); i += BATCH) {
            List<String> batch = active.subList(i, Math.min(active.size(), i + BATCH));
            for (MessageStatus status : MessageStatus.values()) {
                if (!status.gone()) continue;
                for (String hash : hashesWithStatus(batch, status)) {
                    engine.removeProgram(hash, status == MessageStatus.REMOVING
                            ? StreamAction.REMOVING + ": the owner's balance no longer covers it (reconcile)"
                            : "message " + status.value() + " at the CCN (reconcile)");
                }
            }
        }
        List<String> unpaid = new ArrayList<>();
        for (ProgramRow p : store.programs(null, null, 0, 10_000)) {
            if ("removed".equals(p.status()) && p.removedReason() != null && p.removedReason().startsWith(StreamAction.REMOVING)) {
                unpaid.add(p.itemHash());
            }
        }
        for (int i = 0; i < unpaid.size(); i += BATCH) {
            for (String hash : hashesWithStatus(unpaid.subList(i, Math.min(unpaid.size(), i + BATCH)), MessageStatus.PROCESSED)) {
                if (engine.reactivate(hash)) log.info("program {} is paid again: scheduling it", hash);
            }
        }
    }

    private List<String> hashesWithStatus(List<String> hashes, MessageStatus status) {
        try {
            var page = ccn.messages(MessageQuery.builder().hashes(hashes).msgStatuses(status.value()).pagination(200).build());
            return page.messages().stream().map(AlephMessage::itemHash).toList();
        } catch (Exception e) {
            log.debug("reconcile query failed: {}", e.toString());
            return List.of();
        }
    }

    @Override
    public synchronized void close() {
        if (stream != null) {
            stream.close();
            stream = null;
        }
    }
}
