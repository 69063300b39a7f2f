/**
 * Volumes of programs on a CRN, and a persistent program's data following it to its next node.
 * {@link org.aleph4j.crn.volumes.VolumeDisk} is one volume's size-limited btrfs filesystem (a loop
 * image) with read-only snapshots; {@link org.aleph4j.crn.volumes.VolumeSnapshots} ships a running
 * program's snapshots as incremental {@code btrfs send} streams, encrypted by
 * {@link org.aleph4j.crn.volumes.SnapshotCipher}, into a {@link org.aleph4j.crn.volumes.SnapshotStore}
 * (by default the CCN's file store, {@link org.aleph4j.crn.volumes.CcnSnapshotStore}, or an S3-compatible
 * bucket, {@link org.aleph4j.crn.volumes.S3SnapshotStore}) and reports them
 * to a {@link org.aleph4j.crn.volumes.SnapshotRegistry} that accepts them only from the lease holder;
 * {@link org.aleph4j.crn.volumes.VolumeRestore} applies the chain before the program starts elsewhere.
 * Everything downloaded is bounded, hash-checked and authenticated before it is applied, and a volume
 * whose restore failed has no live data rather than wrong data.
 */
package org.aleph4j.crn.volumes;
