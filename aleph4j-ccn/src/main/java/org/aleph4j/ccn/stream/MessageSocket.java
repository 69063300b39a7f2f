package org.aleph4j.ccn.stream;

import io.javalin.websocket.WsConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.admission.AddressKey;
import org.aleph4j.ccn.api.ApiException;
import org.aleph4j.ccn.api.QueryParams;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageFilter;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.eclipse.jetty.websocket.api.Callback;

/**
 * The websocket {@code /api/ws0/messages} (reference §5.3, aleph4j status frames and sequences): parses the
 * subscriber's filter and where its history starts ({@code since_sequence}, else {@code startDate}, else the
 * newest {@code history} messages), and connects its session to a {@link MessageStream} subscription for as long
 * as it lives.
 */
public final class MessageSocket {
    private final Database db;
    private final MessageStore store;
    private final MessageStream stream;
    private final CcnLimits limits;
    private final Map<String, MessageStream.Subscription> sockets = new ConcurrentHashMap<>();

    public MessageSocket(Database db, MessageStore store, MessageStream stream, CcnLimits limits) {
        this.db = db;
        this.store = store;
        this.stream = stream;
        this.limits = limits;
    }

    public void configure(WsConfig ws) {
        ws.onConnect(ctx -> {
            MessageFilter f;
            Double since;
            Long sinceSequence;
            int history;
            try {
                Map<String, List<String>> q = ctx.queryParamMap();
                f = QueryParams.filter(q);
                since = QueryParams.number(q, "startDate", "start_date");
                sinceSequence = QueryParams.sequence(q);
                history = QueryParams.integer(q, 10, 0, 199, "history");
                if (since != null && sinceSequence != null) {
                    throw new ApiException(422, 0, "give since_sequence or startDate, not both", Map.of());
                }
                // without msgStatuses a subscriber also hears when a message goes away (forgotten, removing...)
                f = f.withStatuses(QueryParams.list(q, "msgStatuses", "msg_statuses").isEmpty()
                        ? MessageFilter.STREAM_STATUSES : f.statuses());
            } catch (ApiException e) {
                ctx.closeSession(1008, e.getMessage());
                return;
            }
            MessageFilter filter = f;
            Double from = since;
            Long after = sinceSequence;
            int latest = Math.min(history, limits.maxStreamHistory());
            // history is read page by page by the subscriber's sender thread, never all at once
            MessageStream.History source = new MessageStream.History() {
                @Override
                public long start() {
                    if (after != null) return after;
                    return db.jdbi().withHandle(h -> from != null ? store.sequenceBefore(h, filter, from)
                            : store.sequenceBeforeLatest(h, filter, latest));
                }

                @Override
                public List<MessageRow> page(long last, int limit) {
                    return db.jdbi().withHandle(h -> store.changesAfter(h, filter, last, limit));
                }
            };
            MessageStream.Sink sink = new MessageStream.Sink() {
                @Override
                public void send(String text) throws Exception {
                    Callback.Completable done = new Callback.Completable();
                    ctx.session.sendText(text, done);
                    done.get(30, TimeUnit.SECONDS);
                }

                @Override
                public void close(int code, String reason) {
                    try {
                        ctx.closeSession(code, reason);
                    } catch (RuntimeException ignored) {
                        // already closed
                    }
                }
            };
            MessageStream.Subscription sub;
            try {
                sub = stream.subscribe(filter, AddressKey.of(ctx.session.getRemoteSocketAddress()), sink, source);
            } catch (MessageStream.RefusedException e) {
                ctx.closeSession(MessageStream.TRY_AGAIN_LATER, e.getMessage());
                return;
            }
            sockets.put(ctx.sessionId(), sub);
            if (!ctx.session.isOpen()) {
                // gone while connecting: its slot must not outlive it
                sockets.remove(ctx.sessionId());
                sub.close();
                return;
            }
            ctx.enableAutomaticPings(30, TimeUnit.SECONDS);
        });
        ws.onClose(ctx -> {
            MessageStream.Subscription s = sockets.remove(ctx.sessionId());
            if (s != null) s.close();
        });
        ws.onError(ctx -> {
            MessageStream.Subscription s = sockets.remove(ctx.sessionId());
            if (s != null) s.close();
        });
    }
}
