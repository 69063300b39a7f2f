package org.aleph4j.scheduler.api;

import org.aleph4j.client.scheduler.MigrateReply;
import org.aleph4j.client.scheduler.MigrateRequest;
import org.aleph4j.scheduler.engine.AllocationEngine;
import org.aleph4j.scheduler.engine.NodeRows;
import org.aleph4j.scheduler.engine.SchedulerError;
import org.aleph4j.scheduler.store.Records.AllocationRow;
import org.aleph4j.scheduler.store.Records.NodeRow;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.SchedulerStore;

import java.util.Map;

/**
 * {@code POST /api/v1/vms/{hash}/migrate}: the owner of a persistent program asks to move it, to a
 * named node or to any other. Checked before anything changes: the signer owns the program, it is
 * allocated and not already migrating, and a named target is another active node that can run it.
 * The holder then drains it (final snapshot of its volumes, then release) and it is placed again.
 */
final class MigrationRequests {
    private final SchedulerStore store;
    private final AllocationEngine engine;

    MigrationRequests(SchedulerStore store, AllocationEngine engine) {
        this.store = store;
        this.engine = engine;
    }

    MigrateReply ask(String vmHash, MigrateRequest r) {
        if (r.vmHash() == null || !r.vmHash().equals(vmHash)) {
            throw SchedulerError.badRequest("vm_hash in the body must be the program in the path");
        }
        ProgramRow p = store.program(vmHash).orElseThrow(() -> SchedulerError.notFound("unknown program " + vmHash));
        if (p.owner() == null || !p.owner().equalsIgnoreCase(r.sender())) {
            throw new SchedulerError(403, SchedulerError.NOT_OWNER, "only the owner of " + vmHash + " (" + p.owner()
                    + ") can migrate it", Map.of("owner", String.valueOf(p.owner())));
        }
        if (!"active".equals(p.status())) throw conflict(vmHash + " is " + p.status() + ": nothing to migrate");
        AllocationRow a = store.allocation(vmHash).orElseThrow(() -> conflict(vmHash
                + " runs nowhere yet (it is being scheduled): nothing to migrate"));
        if (p.migrateTarget() != null) throw conflict(vmHash + " is already migrating");
        String target = null;
        if (r.target() != null && !r.target().isBlank()) {
            NodeRow n = store.nodeByHash(r.target().strip()).orElseThrow(() -> new SchedulerError(422,
                    SchedulerError.INVALID_FORMAT, "unknown node " + r.target(), Map.of()));
            if (n.address().equals(a.nodeAddress())) throw new SchedulerError(422, SchedulerError.INVALID_FORMAT,
                    vmHash + " already runs on " + n.nodeHash(), Map.of());
            if (!engine.nodeActive(n.address(), n.lastSeenMs())) throw new SchedulerError(422, SchedulerError.INVALID_FORMAT,
                    "node " + n.nodeHash() + " is not active", Map.of());
            if (p.volumes() != null && !n.volumes()) throw new SchedulerError(422, SchedulerError.INVALID_FORMAT,
                    "node " + n.nodeHash() + " cannot mount the program's volumes", Map.of());
            target = n.address();
        }
        engine.migrate(vmHash, a.nodeAddress(), target);
        return new MigrateReply(vmHash, "migrating", NodeRows.nodeHash(a.nodeAddress()), target == null ? null : NodeRows.nodeHash(target));
    }

    private static SchedulerError conflict(String message) {
        return new SchedulerError(409, SchedulerError.CONFLICT, message, Map.of());
    }
}
