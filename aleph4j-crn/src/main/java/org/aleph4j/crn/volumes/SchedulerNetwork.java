package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.aleph4j.client.scheduler.RestorePlan;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.KeySeal;

/**
 * {@link NodeVolumes.Network} over the lease channel: restore plans and snapshot reports go to the
 * schedulers this node heartbeats, signed with the node's key. A plan is used only when a scheduler
 * this node trusts signed its exact bytes, for this node, program and epoch; its keys are sealed to
 * this node's key ({@link KeySeal}), so nobody else on the way can read them.
 */
public final class SchedulerNetwork implements NodeVolumes.Network {
    /** What the scheduler binds a sealed volume key to (with the volume id); the scheduler's {@code VolumeService.KEY_CONTEXT}. */
    static final String KEY_CONTEXT = "aleph4j-volume-key:";
    /** The scheduler's error codes of a refused snapshot. */
    static final int FENCED = 30;
    static final int NOT_HEAD = 31;

    private final SchedulerClient client;
    private final EthAccount nodeKey;
    private final Set<String> trusted;
    private final SnapshotStore store;

    public SchedulerNetwork(SchedulerClient client, EthAccount nodeKey, Set<String> trustedSchedulers, SnapshotStore store) {
        this.client = client;
        this.nodeKey = nodeKey;
        this.trusted = trustedSchedulers.stream().map(a -> a.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.store = store;
    }

    @Override
    public RestorePlan plan(String itemHash, long epoch) {
        SchedulerClient.Signed<RestorePlan> answer;
        try {
            answer = client.restorePlan(nodeKey, itemHash, epoch);
        } catch (SchedulerException e) {
            throw new CrnException(e.httpStatus() == 409 ? 409 : 503, "no restore plan for the program's volumes: " + e.getMessage());
        }
        RestorePlan p = answer.value();
        if (answer.signer() == null || !trusted.contains(answer.signer())) {
            throw new CrnException(502, "the restore plan is not signed by a trusted scheduler (signer " + answer.signer() + ")");
        }
        if (!itemHash.equals(p.itemHash()) || p.epoch() != epoch || !nodeKey.address().equalsIgnoreCase(p.nodeAddress())) {
            throw new CrnException(502, "the restore plan answers another request (" + p.itemHash() + ", epoch " + p.epoch() + ")");
        }
        return p;
    }

    @Override
    public byte[] openKey(RestorePlan.VolumePlan volume) {
        try {
            return KeySeal.open(volume.key(), nodeKey, KEY_CONTEXT + volume.volumeId());
        } catch (IllegalArgumentException e) {
            throw new CrnException(502, "the key of volume " + volume.volumeId() + " was not sealed to this node: " + e.getMessage());
        }
    }

    @Override
    public SnapshotRegistry registry(String itemHash, long epoch) {
        return (volumeId, seq, parentSeq, full, bytes, parts) -> report(itemHash, epoch, volumeId, seq, parentSeq, full, bytes, parts);
    }

    private void report(String itemHash, long epoch, String volumeId, long seq, Long parentSeq, boolean full, long bytes,
                        List<String> parts) throws SnapshotRefused, IOException {
        try {
            client.reportSnapshot(nodeKey, itemHash, epoch, volumeId, seq, parentSeq, full, bytes, parts);
        } catch (SchedulerException e) {
            // fenced (30) or not the head's child (31): the scheduler's word; anything else may pass
            if (e.httpStatus() == 409 && (e.errorCode() == FENCED || e.errorCode() == NOT_HEAD)) {
                throw new SnapshotRefused(e.getMessage(), e);
            }
            throw new IOException("snapshot " + seq + " of volume " + volumeId + " not reported: " + e.getMessage(), e);
        }
    }

    @Override
    public SnapshotStore store() {
        return store;
    }
}
