package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.aleph4j.crn.execution.HostFiles;

/**
 * One volume's filesystem on this node, under a directory {@code dir} that belongs to the node
 * alone: {@code dir/image}, a sparse file of a fixed size holding a btrfs filesystem, loop-mounted
 * at {@code dir/fs} with {@code noatime,nodev,nosuid} (device files and set-id binaries placed in a
 * volume, or received from another node's snapshot, do nothing). In it, {@code live} is the writable
 * subvolume the program sees and {@code snap-<seq>} are read-only snapshots.
 *
 * <p>Size: the image never grows, so a program writing past its volume gets an error and the node's
 * disk nothing. The image holds {@link #imageMib} MiB for a request of {@code sizeMib}: the request,
 * plus 8 MiB and 4 KiB per requested MiB for btrfs's own structures, plus a 4 MiB allowance for the
 * blocks a snapshot keeps while the program rewrites them (persistent volumes), and at least 16 MiB,
 * the smallest image mkfs.btrfs accepts. The filesystem is {@code --mixed} (data and metadata share
 * chunks): measured with btrfs-progs 6.2 on Linux 6.18, one file written until ENOSPC on a fresh
 * image gets 9.4 MiB of 16 (6.6 MiB overhead), 57.3 of 64, 249.1 of 256 (6.9), 1016.2 of 1024 (7.8),
 * 2039 of 2048 (8.8) and 4083 of 4096 (13.0); without {@code --mixed} a 1 GiB image gives 904 MiB.
 * A persistent volume's live is limited to exactly {@code sizeMib} by a btrfs qgroup ({@link Quota}):
 * the program gets EDQUOT ("Disk quota exceeded") and the filesystem keeps room to snapshot a full
 * volume, which a full btrfs cannot. An ephemeral volume has no quota: ENOSPC at the request or a
 * little more (up to 9 MiB more below 10 MiB, the minimum image). A program rewriting more than the
 * allowance of a nearly full volume between two snapshots sees ENOSPC a little before its quota (the
 * snapshot holds the old blocks; {@link VolumeSnapshots} then drops it and takes a full one).
 *
 * <p>Snapshots are {@code btrfs subvolume snapshot -r}: atomic and point-in-time without freezing
 * the program, as a crash at that moment would leave the volume: everything the program made
 * durable before (fsync, or a commit) is in it, in order, never torn; data it wrote without fsync
 * in the last milliseconds may be missing even where a later rename of it is in (seen in the tests:
 * write then rename without fsync), exactly as after a power cut. They are
 * shipped with {@code btrfs send [-p parent]} and applied with {@code btrfs receive}; see
 * {@link #receive} for how a stream from another node is confined. Ephemeral volumes
 * ({@link #createEphemeral}) are the same filesystem without snapshots, destroyed after the execution.
 * Every tool runs within a deadline ({@link VolumeTools}); a failure is a {@link VolumeException}
 * quoting the tool's stderr. Not thread-safe: one volume, one user at a time.
 */
public final class VolumeDisk {
    /** The btrfs label of a volume image; {@link #open} mounts no image without it. */
    public static final String LABEL = "aleph4j-volume";
    public static final long MIN_IMAGE_MIB = 16;
    public static final long SNAPSHOT_ALLOWANCE_MIB = 4;
    static final String LIVE = "live";
    private static final Pattern SNAP = Pattern.compile("snap-([1-9][0-9]{0,17})");
    private static final Pattern GENERATION = Pattern.compile("(?m)^\\s*Generation:\\s*(\\d+)\\s*$");
    private static final Pattern CREATED = Pattern.compile("(?m)^\\s*Gen at creation:\\s*(\\d+)\\s*$");
    private static final long MIB = 1024L * 1024L;

    private final Path dir;
    private final Path image;
    private final Path fs;
    private final long imageBytes;
    private final long quotaMib;

    private VolumeDisk(Path dir) throws IOException {
        this.dir = dir.toAbsolutePath().normalize();
        this.image = this.dir.resolve("image");
        this.fs = this.dir.resolve("fs");
        this.imageBytes = Files.size(image);
        this.quotaMib = Quota.of(this.dir);
    }

    /** The image size in MiB for a volume of {@code sizeMib} (see the class comment for the rule and the measures). */
    public static long imageMib(long sizeMib, boolean snapshots) {
        if (sizeMib <= 0) throw new IllegalArgumentException("a volume needs a positive size, not " + sizeMib + " MiB");
        long mib = sizeMib + 8 + (sizeMib + 255) / 256 + (snapshots ? SNAPSHOT_ALLOWANCE_MIB : 0);
        return Math.max(MIN_IMAGE_MIB, mib);
    }

    /** Creates, formats and mounts a persistent volume of {@code sizeMib} with an empty {@code live}. */
    public static VolumeDisk create(Path dir, long sizeMib) throws IOException {
        return make(dir, imageMib(sizeMib, true), sizeMib);
    }

    /** Creates an ephemeral volume of {@code sizeMib}: an empty size-limited filesystem, to {@link #destroy} after the execution. */
    public static VolumeDisk createEphemeral(Path dir, long sizeMib) throws IOException {
        return make(dir, imageMib(sizeMib, false), 0);
    }

    private static VolumeDisk make(Path dir, long imageMib, long quotaMib) throws IOException {
        if (!HostFiles.isRoot()) throw new VolumeException("volumes need a node running as root (loop mounts)");
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path image = dir.resolve("image");
        if (Files.exists(image, LinkOption.NOFOLLOW_LINKS)) throw new VolumeException("a volume already exists in " + dir);
        try (RandomAccessFile f = new RandomAccessFile(Files.createFile(image).toFile(), "rw")) {
            f.setLength(imageMib * MIB); // sparse: blocks are allocated as the filesystem uses them
        }
        try {
            VolumeTools.run(VolumeTools.SHORT, "mkfs.btrfs", "-q", "--mixed", "-K", "-L", LABEL, image.toString());
            VolumeDisk d = open(dir);
            if (quotaMib > 0) {
                Quota.enable(dir, d.fs, quotaMib);
                d = open(dir);
            }
            d.resetLiveEmpty();
            return d;
        } catch (IOException | RuntimeException e) {
            try {
                new VolumeDisk(dir).destroy();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Opens the volume in {@code dir}, mounting it unless it is mounted: the image must carry this
     * node's btrfs label, and whatever is mounted at {@code dir/fs} must be that very image.
     */
    public static VolumeDisk open(Path dir) throws IOException {
        Path image = dir.resolve("image");
        if (!Files.isRegularFile(image, LinkOption.NOFOLLOW_LINKS)) throw new VolumeException("no volume image in " + dir);
        VolumeDisk d = new VolumeDisk(dir);
        Mounts.Mount m = Mounts.at(d.fs).orElse(null);
        if (m != null) {
            Path backing = Mounts.backingFile(m.source());
            if (!"btrfs".equals(m.fsType()) || backing == null || !Files.exists(backing) || !Files.isSameFile(backing, d.image)) {
                throw new VolumeException(d.fs + " has " + m.source() + " (" + m.fsType() + ") mounted, not this volume's image");
            }
        } else {
            DiskLabel.check(d.image, LABEL);
            Files.createDirectories(d.fs);
            VolumeTools.run(VolumeTools.SHORT, "mount", "-t", "btrfs", "-o", "loop,noatime,nodev,nosuid", d.image.toString(),
                    d.fs.toString());
        }
        if (d.quotaMib > 0) Quota.mounted(d.image, d.fs, d.imageBytes);
        return d;
    }

    public Path dir() {
        return dir;
    }

    /** The size of the image file, fixed at creation. */
    public long imageBytes() {
        return imageBytes;
    }

    /** What the program sees; fails when there is no live subvolume (a restore failed or was not done). */
    public Path live() throws VolumeException {
        Path live = fs.resolve(LIVE);
        if (!Files.isDirectory(live, LinkOption.NOFOLLOW_LINKS)) {
            throw new VolumeException("volume " + dir + " has no live data: it was not restored (or its restore failed)");
        }
        return live;
    }

    /**
     * The live subvolume's generation once its writes are committed ({@code btrfs filesystem sync}
     * first: written but uncommitted data would not show). It equals the value {@link #snapshot}
     * returned while nothing was written since; any later write makes it larger.
     */
    public long generation() throws IOException {
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "filesystem", "sync", fs.toString());
        return Subvolumes.show(live(), GENERATION);
    }

    /**
     * Takes read-only snapshot {@code snap-<seq>} of live; returns the generation it was created in,
     * which is live's generation right after it (so {@code generation() == snapshot(seq)} means unchanged).
     */
    public long snapshot(long seq) throws IOException {
        Path snap = snapPath(seq);
        if (Files.exists(snap, LinkOption.NOFOLLOW_LINKS)) throw new VolumeException("snapshot " + snap + " exists already");
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "snapshot", "-r", live().toString(), snap.toString());
        return Subvolumes.show(snap, CREATED);
    }

    /** Writes the send stream of {@code snap-<seq>} to {@code out}: a delta against {@code snap-<parentSeq>}, or full when null. */
    public void send(long seq, Long parentSeq, OutputStream out) throws IOException {
        Path snap = existing(seq);
        Duration bound = streamTimeout(imageBytes);
        if (parentSeq == null) {
            VolumeTools.runTo(bound, out, "btrfs", "send", "-q", snap.toString());
        } else {
            VolumeTools.runTo(bound, out, "btrfs", "send", "-q", "-p", existing(parentSeq).toString(), snap.toString());
        }
    }

    /**
     * Applies one send stream and returns the seq of the snapshot it created, named by its sender.
     * The stream comes from another node, so: live must not exist (a stream can reach only read-only
     * snapshots and what it creates), receive runs chrooted into the filesystem, and the result must
     * be exactly one new top-level entry, a read-only {@code snap-<seq>} with a received UUID. On any
     * failure, including {@code in} failing authentication, the tool is killed and whatever it
     * created is deleted: no partial snapshot is left looking valid.
     */
    public long receive(InputStream in) throws IOException {
        if (Files.exists(fs.resolve(LIVE), LinkOption.NOFOLLOW_LINKS)) {
            throw new VolumeException("cannot receive a snapshot into " + dir + " while it has live data");
        }
        Subvolumes sub = new Subvolumes(fs);
        List<String> before = sub.topLevel();
        try {
            VolumeTools.runFrom(streamTimeout(imageBytes), in, "btrfs", "receive", "-C", "-E", "1", fs.toString());
            String name = sub.receivedSince(before);
            Matcher m = SNAP.matcher(name);
            if (!m.matches()) throw new VolumeException("a snapshot stream created [" + name + "], not one snapshot");
            return Long.parseLong(m.group(1));
        } catch (IOException | RuntimeException e) {
            sub.deleteAllBut(before, e);
            throw e;
        }
    }

    /** Replaces live by a writable snapshot of {@code snap-<seq>}. */
    public void resetLiveFrom(long seq) throws IOException {
        Path snap = existing(seq);
        deleteLive();
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "snapshot", snap.toString(), fs.resolve(LIVE).toString());
        if (quotaMib > 0) Quota.limit(fs.resolve(LIVE), quotaMib);
    }

    /** Replaces live by an empty subvolume. */
    public void resetLiveEmpty() throws IOException {
        deleteLive();
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "create", fs.resolve(LIVE).toString());
        if (quotaMib > 0) Quota.limit(fs.resolve(LIVE), quotaMib);
    }

    /** Deletes live, leaving the volume unusable until a reset. */
    void deleteLive() throws IOException {
        new Subvolumes(fs).delete(LIVE);
    }

    /** The seqs of the read-only snapshots, ascending (a partially received one is not among them). */
    public List<Long> snapshots() throws IOException {
        return new Subvolumes(fs).readOnly().stream().map(SNAP::matcher).filter(Matcher::matches)
                .map(m -> Long.parseLong(m.group(1))).sorted().toList();
    }

    public void deleteSnapshot(long seq) throws IOException {
        new Subvolumes(fs).delete("snap-" + seq);
        // committed now: until a commit, the cleaner keeps the deleted snapshot's blocks (up to the periodic
        // 30 s one), and a volume rewritten every interval would fill its image with them
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "filesystem", "sync", fs.toString());
    }

    /** Waits until the space of deleted subvolumes is free again (btrfs cleans them in the background). */
    void reclaim() throws IOException {
        // a commit first: the cleaner would otherwise wait for the next periodic one (30 s)
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "filesystem", "sync", fs.toString());
        VolumeTools.run(streamTimeout(imageBytes), "btrfs", "subvolume", "sync", fs.toString());
    }

    /** Deletes everything in the filesystem but {@code snap-<keepSeq>} (null: everything): live, snapshots, leftovers. */
    void clear(Long keepSeq) throws IOException {
        Subvolumes sub = new Subvolumes(fs);
        for (String name : sub.topLevel()) if (keepSeq == null || !name.equals("snap-" + keepSeq)) sub.delete(name);
    }

    /** Unmounts the volume (its loop device goes with it); nothing happens when it is not mounted. */
    public void unmount() throws IOException {
        if (Mounts.at(fs).isPresent()) VolumeTools.run(VolumeTools.SHORT, "umount", fs.toString());
    }

    /** Unmounts the volume and deletes its directory, image and state included. */
    public void destroy() throws IOException {
        unmount();
        if (Mounts.at(fs).isPresent()) throw new VolumeException(fs + " is still mounted");
        Subvolumes.deleteTree(dir);
    }

    /**
     * Unmounts the volumes a previous run of the node left mounted under {@code volumesRoot} and
     * detaches their loop devices, as the kernel's mount table and loop devices say; the volumes' files
     * stay, to be opened again. Returns how many mounts and devices were released.
     */
    public static int cleanLeftovers(Path volumesRoot) throws IOException {
        return Mounts.cleanUnder(volumesRoot);
    }

    Path snapPath(long seq) {
        if (seq <= 0) throw new IllegalArgumentException("snapshot seqs start at 1, not " + seq);
        return fs.resolve("snap-" + seq);
    }

    private Path existing(long seq) throws VolumeException {
        Path p = snapPath(seq);
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) throw new VolumeException("volume " + dir + " has no snapshot " + seq);
        return p;
    }

    /** Two minutes, plus one second per 8 MiB of image: a stream never holds more than the image. */
    static Duration streamTimeout(long bytes) {
        return Duration.ofSeconds(120 + bytes / (8 * MIB));
    }
}
