package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the kernel says is mounted and which files back which loop devices: read from
 * {@code /proc/self/mountinfo} and {@code /sys/block/loop*}, never inferred from the node's own
 * directories, so a leftover of a previous run is found exactly and nothing else is touched.
 */
final class Mounts {
    private static final Logger log = LoggerFactory.getLogger(Mounts.class);

    /** One line of mountinfo: where, what filesystem, from which source (e.g. {@code /dev/loop3}). */
    record Mount(Path mountPoint, String fsType, String source) {}

    private Mounts() {}

    static List<Mount> all() throws IOException {
        List<Mount> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length < 5 || dash < 0 || dash + 2 >= f.length) continue;
            out.add(new Mount(Path.of(unescape(f[4])), f[dash + 1], unescape(f[dash + 2])));
        }
        return out;
    }

    /** The topmost mount exactly at {@code dir}, if any. */
    static Optional<Mount> at(Path dir) throws IOException {
        Path real = real(dir);
        Mount top = null;
        for (Mount m : all()) if (m.mountPoint().equals(real)) top = m;
        return Optional.ofNullable(top);
    }

    /** The file backing loop device {@code /dev/loopN}, or null when it is not a bound loop device. */
    static Path backingFile(String device) {
        if (device == null || !device.matches("/dev/loop\\d+")) return null;
        Path f = Path.of("/sys/block", device.substring("/dev/".length()), "loop", "backing_file");
        try {
            String s = Files.readString(f).strip();
            if (s.endsWith(" (deleted)")) s = s.substring(0, s.length() - " (deleted)".length());
            return s.isEmpty() ? null : Path.of(s);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Unmounts everything mounted under {@code root} (deepest first; lazily when busy) and detaches
     * the loop devices whose backing file is under it. Returns how many mounts and devices it released.
     */
    static int cleanUnder(Path root) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) return 0;
        Path real = real(root);
        int n = 0;
        List<Mount> under = new ArrayList<>(all().stream().filter(m -> m.mountPoint().startsWith(real)).toList());
        under.sort(Comparator.comparingInt((Mount m) -> m.mountPoint().getNameCount()).reversed());
        for (Mount m : under) {
            try {
                VolumeTools.run(VolumeTools.SHORT, "umount", m.mountPoint().toString());
            } catch (VolumeException e) {
                log.warn("leftover {} is busy, detaching it lazily: {}", m.mountPoint(), e.getMessage());
                VolumeTools.run(VolumeTools.SHORT, "umount", "-l", m.mountPoint().toString());
            }
            log.info("unmounted leftover volume {} ({}) of a previous run", m.mountPoint(), m.source());
            n++;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path dev : ds) {
                String device = "/dev/" + dev.getFileName();
                Path backing = backingFile(device);
                if (backing == null || !backing.startsWith(real)) continue;
                try {
                    VolumeTools.run(VolumeTools.SHORT, "losetup", "-d", device);
                    log.info("detached leftover loop device {} ({})", device, backing);
                    n++;
                } catch (VolumeException e) {
                    log.warn("cannot detach leftover loop device {}: {}", device, e.getMessage());
                }
            }
        }
        return n;
    }

    static Path real(Path p) throws IOException {
        return Files.exists(p) ? p.toRealPath() : p.toAbsolutePath().normalize();
    }

    /** mountinfo writes space, tab, newline and backslash as {@code \ooo}. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
