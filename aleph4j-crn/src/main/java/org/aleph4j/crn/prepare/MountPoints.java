package org.aleph4j.crn.prepare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.content.Volume;
import org.aleph4j.message.content.VolumeIds;

/**
 * The mount points of one program's volumes, checked before anything is prepared: every volume has
 * one ({@link VolumeIds#mountPoint}: its {@code mount}, or {@code /mnt/<name>} for a named
 * persistent volume), written as a plain absolute path, clear of what the sandbox owns, and no two
 * of them equal or one inside the other.
 *
 * <p>A mount point must be absolute and already normalized (it is refused, never rewritten: the
 * path checked is the path mounted): no empty, {@code .} or {@code ..} segment (so no {@code //} and
 * no trailing slash), no control, format or separator character nor lone surrogate (which would
 * not name the same file once encoded), at most {@value #MAX_LENGTH} characters, at most
 * {@value #MAX_VOLUMES} volumes. It must not be {@code /}, nor one of {@link #RESERVED} or inside one
 * (the sandbox's system directories, its code at /opt/code and its runtime state), nor a directory
 * holding one ({@code /opt}, which would hide the code). {@code /data}, {@code /tmp} and their
 * sub-paths are allowed: a volume there replaces (or sits in) the sandbox's own directory, as
 * upstream programs expect of a persistent volume at {@code /data}.
 *
 * <p>Upstream aleph-vm checks none of this (its guest mounts whatever path it is given, as root in
 * its own VM); here volumes are bound into a sandbox on the host, where a path is the node's concern.
 */
public final class MountPoints {
    public static final int MAX_VOLUMES = 32;
    public static final int MAX_LENGTH = 256;
    /** Paths the sandbox owns: a volume may be none of them, nor inside one, nor hold one. */
    public static final List<String> RESERVED = List.of("/proc", "/sys", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib32",
            "/lib64", "/libx32", "/etc", "/opt/code", "/run");

    private MountPoints() {}

    /**
     * The mount point of each of {@code volumes}, in order (null is no volume).
     *
     * @throws CrnException 422 naming {@code volumes[i].mount} and what is wrong with it, at the first problem found
     */
    public static List<String> of(List<? extends Volume> volumes) {
        if (volumes == null) return List.of();
        if (volumes.size() > MAX_VOLUMES) {
            throw new CrnException(422, "volumes holds " + volumes.size() + " volumes: a program may have at most " + MAX_VOLUMES
                    + " volumes",
                    Map.of("field", "volumes", "max", MAX_VOLUMES));
        }
        List<String> mounts = new ArrayList<>();
        for (int i = 0; i < volumes.size(); i++) mounts.add(check(i, volumes.get(i)));
        for (int j = 1; j < mounts.size(); j++) {
            for (int i = 0; i < j; i++) {
                String a = mounts.get(i);
                String b = mounts.get(j);
                if (a.equals(b)) throw bad(j, b, "is also the mount point of volumes[" + i + "]");
                if (inside(b, a)) throw bad(j, b, "is inside volumes[" + i + "].mount " + a);
                if (inside(a, b)) throw bad(j, b, "holds volumes[" + i + "].mount " + a);
            }
        }
        return List.copyOf(mounts);
    }

    /** The mount point of volume {@code i}, checked on its own. */
    private static String check(int i, Volume v) {
        if (v == null) throw new CrnException(422, "volumes[" + i + "] is not a volume", Map.of("field", "volumes[" + i + "]"));
        String path = VolumeIds.mountPoint(v);
        if (path == null) {
            String kind = switch (v) {
                case Volume.Immutable im -> "an immutable volume needs a mount";
                case Volume.Ephemeral e -> "an ephemeral volume needs a mount";
                case Volume.Persistent p -> "a persistent volume needs a mount or a name";
            };
            throw new CrnException(422, "volumes[" + i + "].mount is missing: " + kind, Map.of("field", "volumes[" + i + "].mount"));
        }
        String from = v.mount() == null || v.mount().isBlank() ? " (from volumes[" + i + "].name)" : "";
        if (path.length() > MAX_LENGTH) {
            throw bad(i, path, "is longer than " + MAX_LENGTH + " characters" + from);
        }
        String chars = badCharacter(path);
        if (chars != null) throw bad(i, path, "holds " + chars + from);
        if (!path.startsWith("/")) throw bad(i, path, "is not an absolute path" + from);
        if (path.equals("/")) throw bad(i, path, "is the sandbox's root");
        for (String segment : path.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw bad(i, path, "is not a normalized path (no empty, . or .. segment, no trailing /)" + from);
            }
        }
        for (String r : RESERVED) {
            if (path.equals(r) || inside(path, r)) throw bad(i, path, "is or is inside " + r + ", which the sandbox owns" + from);
            if (inside(r, path)) throw bad(i, path, "holds " + r + ", which the sandbox owns" + from);
        }
        return path;
    }

    /** True when {@code path} is strictly inside {@code dir} (both normalized absolute paths). */
    static boolean inside(String path, String dir) {
        return path.length() > dir.length() && path.startsWith(dir) && path.charAt(dir.length()) == '/';
    }

    /** What is wrong with the characters of {@code path}, or null. */
    private static String badCharacter(String path) {
        for (int k = 0; k < path.length(); k += Character.charCount(path.codePointAt(k))) {
            int c = path.codePointAt(k);
            if (c == 0) return "a NUL character";
            if (unprintable(c)) return "an unprintable character (U+" + String.format("%04X", c) + ")";
        }
        return null;
    }

    /** Controls, invisible format characters (such as bidi overrides), line and paragraph separators, lone surrogates. */
    private static boolean unprintable(int c) {
        int type = Character.getType(c);
        return Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    /** {@code path} as it may appear in a message: unprintable characters escaped, cut at {@value #MAX_LENGTH}. */
    static String printable(String path) {
        StringBuilder b = new StringBuilder();
        String t = path.length() > MAX_LENGTH ? path.substring(0, MAX_LENGTH) : path;
        t.codePoints().forEach(c -> {
            if (unprintable(c)) b.append(String.format("\\u%04X", c));
            else b.appendCodePoint(c);
        });
        return path.length() > MAX_LENGTH ? b + "..." : b.toString();
    }

    private static CrnException bad(int i, String path, String why) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("field", "volumes[" + i + "].mount");
        details.put("mount", printable(path));
        return new CrnException(422, "volumes[" + i + "].mount " + printable(path) + " " + why, details);
    }
}
