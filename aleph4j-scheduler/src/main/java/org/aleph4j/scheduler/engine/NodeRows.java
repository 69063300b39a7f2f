package org.aleph4j.scheduler.engine;

import java.nio.charset.StandardCharsets;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.Heartbeat;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.scheduler.store.Records.NodeRow;

/** What a verified heartbeat says about its node, as the row the scheduler stores and shows. */
public final class NodeRows {
    private NodeRows() {}

    /** Node hash of an address: sha256 of its lowercase form, a 64-hex id like upstream's node hashes. */
    public static String nodeHash(String address) {
        return ItemHashes.sha256Hex(address.toLowerCase().getBytes(StandardCharsets.UTF_8));
    }

    /** The node row of {@code hb}, seen at {@code nowMs}. */
    static NodeRow of(Heartbeat hb, long nowMs) {
        String node = hb.nodeAddress().toLowerCase();
        boolean isolated = hb.executor() != null && hb.executor().isolated();
        return new NodeRow(node, nodeHash(node), hb.publicUrl(), hb.capacity().vcpus(), hb.capacity().memoryMib(),
                hb.capacity().diskMib(), Json.write(hb.runtimes()), hb.version(), Json.write(hb.executions()), nowMs,
                executorName(hb.executor()), isolated, hb.executor() != null && hb.executor().volumes());
    }

    /** A name as the node reported it, when it looks like one (it is shown in reasons and the API). */
    static String executorName(ExecutorInfo e) {
        if (e == null || e.name() == null) return null;
        String n = e.name().strip().toLowerCase(java.util.Locale.ROOT);
        return n.matches("[a-z0-9][a-z0-9_-]{0,31}") ? n : null;
    }
}
