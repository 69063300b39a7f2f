package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.aleph4j.message.Json;

/**
 * What a node knows of one volume across its own restarts, kept in {@code dir/state.json}: the seq
 * of the snapshot it holds locally and knows to be the network's ({@code seq}: accepted from this
 * node, or received from the chain; 0: none), the lease epoch it was last used under, and the shape
 * of the chain since its last full snapshot (which decides when the next one is full). A local
 * snapshot other than {@code seq} is never trusted: it may have been refused, or be half received.
 * Written atomically (temporary file, fsync, rename).
 *
 * @param fullBytes  encrypted size of the chain's full snapshot
 * @param deltas     deltas since that full one
 * @param deltaBytes their encrypted size in total
 */
public record VolumeState(String volumeId, long seq, long epoch, long fullBytes, int deltas, long deltaBytes) {
    static final String FILE = "state.json";

    /** The state in {@code dir}, if one was written. */
    public static Optional<VolumeState> load(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) return Optional.empty();
        try {
            return Optional.of(Json.MAPPER.readValue(Files.readString(f), VolumeState.class));
        } catch (IOException e) {
            throw new VolumeException("unreadable volume state " + f + ": " + e.getMessage());
        }
    }

    public void save(Path dir) throws IOException {
        Path tmp = dir.resolve(FILE + ".tmp");
        Files.writeString(tmp, Json.write(this), StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The state after snapshot {@code seq} of {@code bytes} was accepted or applied ({@code full} restarts the chain's counts). */
    VolumeState next(long seq, long epoch, boolean full, long bytes) {
        return full ? new VolumeState(volumeId, seq, epoch, bytes, 0, 0)
                : new VolumeState(volumeId, seq, epoch, fullBytes, deltas + 1, deltaBytes + bytes);
    }
}
