package org.aleph4j.client.scheduler;

import java.util.List;
import org.aleph4j.message.KeySeal;

/**
 * The answer to a {@link RestoreRequest}, signed by the scheduler like a heartbeat answer (and
 * echoing its nonce): for each persistent volume of the program, its key sealed to the requesting
 * node's public key, and the snapshots to apply in order (a full one, then its deltas; empty when the
 * volume has none yet).
 */
public record RestorePlan(String itemHash, long epoch, String nodeAddress, String schedulerAddress, String nonce,
                          List<VolumePlan> volumes) {
    public RestorePlan {
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
    }

    /** One volume: its id, its sealed key, its chain. */
    public record VolumePlan(String volumeId, KeySeal.Sealed key, List<SnapshotRef> chain) {
        public VolumePlan {
            chain = chain == null ? List.of() : List.copyOf(chain);
        }
    }
}
