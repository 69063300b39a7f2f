package org.aleph4j.scheduler.engine;

import com.fasterxml.jackson.core.type.TypeReference;
import org.aleph4j.client.scheduler.RestorePlan;
import org.aleph4j.client.scheduler.RestoreRequest;
import org.aleph4j.client.scheduler.SnapshotRef;
import org.aleph4j.client.scheduler.SnapshotReply;
import org.aleph4j.client.scheduler.SnapshotReport;
import org.aleph4j.client.scheduler.VolumeInfo;
import org.aleph4j.message.Json;
import org.aleph4j.message.KeySeal;
import org.aleph4j.scheduler.store.Records.PersistentVolume;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.Records.ProgramVolumes;
import org.aleph4j.scheduler.store.Records.SnapshotRow;
import org.aleph4j.scheduler.store.Records.VolumeRow;
import org.aleph4j.scheduler.store.VolumeRows;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The scheduler's side of persistent volumes that follow their program. The current lease holder
 * (and only it: {@link AllocationEngine#requireHolder}) gets each volume's key sealed to its own
 * public key and the chain of snapshots to restore; it reports each snapshot it stored, which is
 * accepted only from the volume's current user (the holder under the current epoch that restored it
 * last; after an unpersist, that last holder's final snapshot) and only as the successor of the head
 * ({@link VolumeRows#accept}), so a fenced copy's late snapshot is refused and a volume's history
 * never forks. Keys live in the scheduler's database, never where the snapshots are.
 */
public final class VolumeService {
    private static final Logger log = LoggerFactory.getLogger(VolumeService.class);
    /** What a sealed volume key is bound to (with the volume id). */
    public static final String KEY_CONTEXT = "aleph4j-volume-key:";
    static final int MAX_PARTS = 4096;
    private static final Pattern REF = Pattern.compile("[0-9a-f]{64}");
    private static final int RESTORES_SHOWN = 20;

    private final AllocationEngine engine;
    private final VolumeRows rows;
    private final InstantSource wallClock;
    private final SecureRandom random = new SecureRandom();

    public VolumeService(AllocationEngine engine, InstantSource wallClock) {
        this.engine = engine;
        this.rows = engine.store().volumeRows();
        this.wallClock = wallClock;
    }

    /** The plan for a holder that proved its key by signing {@code r} ({@code nodeKey}, recovered from that signature). */
    public RestorePlan restore(RestoreRequest r, BigInteger nodeKey, String schedulerAddress) {
        engine.requireHolder(r.itemHash(), r.nodeAddress(), r.epoch());
        ProgramRow program = program(r.itemHash());
        List<RestorePlan.VolumePlan> plans = new ArrayList<>();
        long now = wallClock.millis();
        for (PersistentVolume v : StoreSnapshots.volumesOf(program).persistent()) {
            VolumeRows.Planned planned = rows.plan(v.volumeId(), program.owner(), r.itemHash(), r.nodeAddress(), r.epoch(), now,
                    this::newKey);
            VolumeRow row = planned.volume();
            List<SnapshotRef> chain = planned.chain().stream().map(VolumeService::ref).toList();
            Long head = chain.isEmpty() ? null : chain.getLast().seq();
            plans.add(new RestorePlan.VolumePlan(v.volumeId(),
                    KeySeal.seal(HexFormat.of().parseHex(row.volumeKey()), nodeKey, KEY_CONTEXT + v.volumeId()), chain));
            log.info("volume {} of {}: restore plan for {} (epoch {}) from {}", v.volumeId().substring(0, 12), r.itemHash(),
                    r.nodeAddress(), r.epoch(), head == null ? "nothing (empty volume)" : "snapshot " + head);
        }
        return new RestorePlan(r.itemHash(), r.epoch(), r.nodeAddress(), schedulerAddress, r.nonce(), plans);
    }

    /** Accepts a snapshot from the holder, or throws (409 {@code FENCED} / {@code NOT_HEAD}, 4xx for a malformed report). */
    public SnapshotReply accept(SnapshotReport r) {
        if (r.seq() < 1) throw SchedulerError.badRequest("seq must be at least 1");
        if (r.bytes() < 0) throw SchedulerError.badRequest("bytes must not be negative");
        if (r.parts().isEmpty() || r.parts().size() > MAX_PARTS) {
            throw SchedulerError.badRequest("parts must list 1 to " + MAX_PARTS + " content refs");
        }
        for (String p : r.parts()) {
            if (p == null || !REF.matcher(p).matches()) throw SchedulerError.badRequest("parts must be 64-hex content refs");
        }
        if (r.volumeId() == null || !REF.matcher(r.volumeId()).matches()) throw SchedulerError.badRequest("volume_id must be 64 hex");
        ProgramRow program = program(r.itemHash());
        boolean ours = StoreSnapshots.volumesOf(program).persistent().stream().anyMatch(v -> v.volumeId().equals(r.volumeId()));
        if (!ours) {
            throw new SchedulerError(422, SchedulerError.INVALID_FORMAT, "volume " + r.volumeId() + " is not a persistent volume of "
                    + r.itemHash(), Map.of());
        }
        // an active program's holder holds its lease now; a removed one's last holder may still send its final snapshot
        if ("active".equals(program.status())) engine.requireHolder(r.itemHash(), r.nodeAddress(), r.epoch());
        SnapshotRow row = new SnapshotRow(r.volumeId(), r.seq(), r.parentSeq(), r.epoch(), r.itemHash(), r.nodeAddress(),
                r.full(), r.bytes(), Json.write(r.parts()), wallClock.millis());
        switch (rows.accept(row)) {
            case ACCEPTED -> {
                return new SnapshotReply(r.volumeId(), r.seq(), true);
            }
            case FENCED -> throw new SchedulerError(409, SchedulerError.FENCED, "snapshot refused: " + r.itemHash()
                    + " is no longer allocated to " + r.nodeAddress() + " under epoch " + r.epoch(), Map.of("epoch", r.epoch()));
            default -> {
                long head = rows.volume(r.volumeId()).map(VolumeRow::headSeq).orElse(0L);
                throw new SchedulerError(409, SchedulerError.NOT_HEAD, "snapshot " + r.seq() + " does not extend the head "
                        + head + " of volume " + r.volumeId(), Map.of("head_seq", head));
            }
        }
    }

    /** The persistent volumes of a program as {@code GET /api/v1/vms/{hash}} shows them. */
    public List<VolumeInfo> volumes(ProgramRow p) {
        ProgramVolumes volumes = StoreSnapshots.volumesOf(p);
        List<VolumeInfo> out = new ArrayList<>();
        for (PersistentVolume v : volumes.persistent()) {
            SnapshotRef last = rows.head(v.volumeId()).map(VolumeService::ref).orElse(null);
            List<VolumeInfo.RestoreRecord> restores = rows.restores(v.volumeId(), RESTORES_SHOWN).stream()
                    .map(x -> new VolumeInfo.RestoreRecord(x.timeMs() / 1000.0, x.nodeAddress(), NodeRows.nodeHash(x.nodeAddress()),
                            x.epoch(), x.seq()))
                    .toList();
            out.add(new VolumeInfo(v.volumeId(), v.name(), v.mount(), v.sizeMib(), last, restores));
        }
        return out;
    }

    private ProgramRow program(String itemHash) {
        return engine.store().program(itemHash).orElseThrow(() -> SchedulerError.notFound("unknown program " + itemHash));
    }

    private String newKey() {
        byte[] key = new byte[32];
        random.nextBytes(key);
        return HexFormat.of().formatHex(key);
    }

    private static SnapshotRef ref(SnapshotRow s) {
        List<String> parts;
        try {
            parts = Json.MAPPER.readValue(s.parts(), new TypeReference<List<String>>() {});
        } catch (Exception e) {
            parts = List.of();
        }
        return new SnapshotRef(s.seq(), s.parentSeq(), s.epoch(), s.full(), s.bytes(), parts, s.timeMs() / 1000.0, s.nodeAddress());
    }
}
