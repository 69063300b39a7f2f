package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The size limit of a persistent volume's live data: a btrfs qgroup limit on the referenced bytes
 * of {@code live}, so the program gets EDQUOT at its size while the filesystem keeps room for its
 * own structures and for snapshots. (Without it the program fills the filesystem, and a full btrfs
 * cannot take a snapshot: measured, {@code btrfs subvolume snapshot} fails with ENOSPC on every full
 * {@code --mixed} image from 45 MiB to 1 GiB, so the volume's last data could not follow it.) The
 * qgroups are accounted in full when a snapshot is deleted ({@code drop_subtree_threshold} 8:
 * otherwise a deep tree marks them inconsistent and the limit drifts); an inconsistent state found
 * when mounting is rescanned. The limit is in {@code dir/quota_mib}; ephemeral volumes have none
 * and end with ENOSPC.
 */
final class Quota {
    static final String FILE = "quota_mib";
    private static final int MAX_LEVEL = 8;

    private Quota() {}

    /** The limit in MiB of the volume in {@code dir}, or 0 for none. */
    static long of(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) return 0;
        try {
            return Long.parseLong(Files.readString(f).strip());
        } catch (NumberFormatException e) {
            throw new VolumeException("unreadable volume quota " + f);
        }
    }

    /** Enables quotas on a new, empty filesystem and records the limit. */
    static void enable(Path dir, Path fs, long mib) throws IOException {
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "quota", "enable", fs.toString());
        Files.writeString(dir.resolve(FILE), Long.toString(mib));
    }

    /** After a mount: full accounting on deletes, and numbers rescanned when the kernel found them inconsistent. */
    static void mounted(Path image, Path fs, long imageBytes) throws IOException {
        Path sys = Path.of("/sys/fs/btrfs", DiskLabel.fsid(image), "qgroups");
        if (!Files.isDirectory(sys)) throw new VolumeException("quotas are not enabled on " + fs);
        Files.writeString(sys.resolve("drop_subtree_threshold"), Integer.toString(MAX_LEVEL));
        if (!Files.readString(sys.resolve("inconsistent")).strip().equals("0")) {
            VolumeTools.run(VolumeDisk.streamTimeout(imageBytes), "btrfs", "quota", "rescan", "-w", fs.toString());
        }
    }

    /** Limits what {@code live} references to {@code mib}. */
    static void limit(Path live, long mib) throws IOException {
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "qgroup", "limit", mib + "M", live.toString());
    }
}
