package org.aleph4j.message.content;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The identity of a persistent volume across messages: the owner's address and the volume's
 * {@code name} (its {@code mount} when unnamed), hashed. It does not depend on the program's item
 * hash, so {@code replaces}, an update, or the tutorial's unpersist then persist (a new message)
 * find the same data. Two programs of one owner naming the same volume share it (never at the same
 * time: the scheduler does not place a program whose volume another allocated program uses).
 */
public final class VolumeIds {
    private VolumeIds() {}

    /** 64 lowercase hex characters; {@code owner} is compared case-insensitively. */
    public static String of(String owner, Volume.Persistent v) {
        if (owner == null || owner.isBlank()) throw new IllegalArgumentException("a persistent volume needs its owner");
        String label = v.name() != null && !v.name().isBlank() ? "name:" + v.name() : "mount:" + v.mount();
        String text = "aleph4j-volume\0" + owner.strip().toLowerCase(Locale.ROOT) + "\0" + label;
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where a volume is mounted: its {@code mount}, else upstream's {@code /mnt/<name>}; null when neither is given. */
    public static String mountPoint(Volume v) {
        if (v.mount() != null && !v.mount().isBlank()) return v.mount();
        if (v instanceof Volume.Persistent p && p.name() != null && !p.name().isBlank()) return "/mnt/" + p.name();
        return null;
    }
}
