package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads a btrfs image's primary superblock (at 64 KiB: the filesystem UUID at offset 0x20, the
 * magic {@code _BHRfS_M} at 0x40, the NUL-terminated label at 0x12b) so that only an image this node
 * formatted is ever mounted, and to find the filesystem under {@code /sys/fs/btrfs}.
 */
final class DiskLabel {
    private static final long SUPERBLOCK = 0x10000;
    private static final byte[] MAGIC = "_BHRfS_M".getBytes(StandardCharsets.US_ASCII);

    private DiskLabel() {}

    static void check(Path image, String label) throws IOException {
        byte[] a = head(image);
        for (int i = 0; i < MAGIC.length; i++) {
            if (a[0x40 + i] != MAGIC[i]) throw new VolumeException(image + " is not a btrfs image");
        }
        int end = 0x12b;
        while (end < a.length && a[end] != 0) end++;
        String got = new String(a, 0x12b, end - 0x12b, StandardCharsets.UTF_8);
        if (!got.equals(label)) throw new VolumeException(image + " is labelled \"" + got + "\", not \"" + label + "\": not a volume of this node");
    }

    /** The filesystem UUID, as {@code /sys/fs/btrfs/<uuid>} names it. */
    static String fsid(Path image) throws IOException {
        String hex = java.util.HexFormat.of().formatHex(head(image), 0x20, 0x30);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-"
                + hex.substring(20);
    }

    private static byte[] head(Path image) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(0x12b + 256);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            while (b.hasRemaining() && ch.read(b, SUPERBLOCK + b.position()) > 0) {
                // read the whole superblock head
            }
        }
        return b.array();
    }
}
