package org.aleph4j.crn.execution;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the executors do to the node's files for an execution: its private, size-limited work
 * directory (a tmpfs when the node is root), ownership by the execution's user, read access to its
 * code, and node directories closed to programs.
 */
public final class HostFiles {
    private static final Logger log = LoggerFactory.getLogger(HostFiles.class);
    private static final boolean ROOT = readRoot();

    private HostFiles() {}

    /** Whether this process runs as uid 0. */
    public static boolean isRoot() {
        return ROOT;
    }

    private static boolean readRoot() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("Uid:")) return l.split("\\s+")[1].equals("0");
            }
        } catch (IOException ignored) {
            // not Linux
        }
        return false;
    }

    /**
     * Creates {@code work} (with {@code tmp/} in it) as a tmpfs of {@code sizeMiB} when the node is
     * root, so a program filling its /data or /tmp gets ENOSPC and the node's disk nothing; the
     * pages count against the writer's memory cgroup too. Idempotent: a restarted execution keeps
     * its files. Without root the directory is a plain one (and not limited).
     */
    public static void createWorkDir(Path work, int sizeMiB) throws IOException {
        Files.createDirectories(work);
        if (ROOT && !isMountPoint(work)) {
            HostTools.run(List.of("/usr/bin/mount", "-t", "tmpfs", "-o", "size=" + sizeMiB + "m,mode=0700,nosuid,nodev", "aleph4j-work",
                    work.toString()));
        }
        // a persistent program's work dir outlives its process: a link it left at tmp must not lead
        // the node (the guest API socket, bwrap's bind of /tmp) elsewhere on the host
        Path tmp = work.resolve("tmp");
        if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) deleteTree(tmp);
        if (!Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) Files.createDirectory(tmp);
    }

    /** Unmounts (lazily: a dying program may still hold it) and deletes an execution's work directory. */
    public static void deleteWorkDir(Path work) {
        if (!Files.exists(work, LinkOption.NOFOLLOW_LINKS)) return;
        if (ROOT) {
            try {
                // stacked mounts (a crashed node mounted twice) come off one at a time
                for (int i = 0; i < 4 && isMountPoint(work); i++) HostTools.run(List.of("/usr/bin/umount", "-l", work.toString()));
            } catch (IOException | RuntimeException e) {
                log.warn("cannot unmount {}: {}", work, e.getMessage());
            }
        }
        deleteTree(work);
    }

    /** Whether something is mounted exactly at {@code dir}, as the kernel's mount table says. */
    static boolean isMountPoint(Path dir) throws IOException {
        Path real = Files.exists(dir, LinkOption.NOFOLLOW_LINKS) ? dir.toRealPath() : dir.toAbsolutePath().normalize();
        String target = real.toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            // field 5 is the mount point, with space, tab, newline and backslash written as \ooo
            if (f.length > 4 && unescapeMountField(f[4]).equals(target)) return true;
        }
        return false;
    }

    private static String unescapeMountField(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Gives {@code dir} and everything in it (links themselves, not their targets) to {@code uid}. */
    public static void chownTree(Path dir, int uid) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
            }
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * {@link #makeReadable} once per unpacked tree: {@code done} remembers trees by path and inode
     * change time, so a tree evicted from the cache and unpacked again is opened up again.
     */
    static void makeReadableOnce(Set<String> done, Path code) throws IOException {
        if (done.contains(treeKey(code))) return;
        makeReadable(code);
        done.add(treeKey(code)); // after the chmods, which change the ctime
    }

    private static String treeKey(Path code) throws IOException {
        return code + "@" + Files.getAttribute(code, "unix:ctime") + "/" + Files.getAttribute(code, "unix:ino");
    }

    /** The code is unpacked by the node (root, possibly 0700 temp dirs): every execution's user must read it. */
    public static void makeReadable(Path code) throws IOException {
        try (var walk = Files.walk(code)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isSymbolicLink(p)) continue;
                Set<PosixFilePermission> perms = new HashSet<>(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
                perms.add(PosixFilePermission.OTHERS_READ);
                perms.add(PosixFilePermission.GROUP_READ);
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    perms.add(PosixFilePermission.GROUP_EXECUTE);
                }
                Files.setPosixFilePermissions(p, perms);
            }
        }
        passable(code.toAbsolutePath().getParent());
    }

    /** Makes every directory from / down to {@code dir} passable (not listable) for other users. */
    static void passable(Path dir) throws IOException {
        for (Path d = dir; d != null && d.getNameCount() > 0; d = d.getParent()) {
            Set<PosixFilePermission> perms = new HashSet<>(Files.getPosixFilePermissions(d));
            if (perms.add(PosixFilePermission.OTHERS_EXECUTE)) Files.setPosixFilePermissions(d, perms);
        }
    }

    /**
     * Closes a CRN's data directory to programs running on the host as other users: they may pass
     * through it to their own code and work directory, but not list it, and the directories of
     * keys, logs, pid files and downloaded files are the node's alone.
     */
    public static void protectNodeDirs(Path dataDir) throws IOException {
        Map<String, String> modes = Map.of("", "rwx--x--x", "code", "rwx--x--x", "executions", "rwx--x--x",
                "run", "rwx------", "logs", "rwx------", "files", "rwx------", "keys", "rwx------", "sandbox", "rwx------");
        for (Map.Entry<String, String> m : modes.entrySet()) {
            Path d = m.getKey().isEmpty() ? dataDir : dataDir.resolve(m.getKey());
            if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(m.getValue()));
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }
}
