package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.aleph4j.crn.CrnException;
import org.slf4j.LoggerFactory;

/**
 * An unpacked program's code as the host may use it: a tree of plain directories, regular files and
 * symbolic links that stay inside it. {@link #sanitize} makes an unpacked tree so, {@link #entrypoint}
 * finds a program's executable in it without ever leaving it.
 */
public final class CodeTree {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    /** The kernel's own bound on symbolic links followed while resolving one path. */
    private static final int MAX_LINK_HOPS = 40;

    private CodeTree() {}

    /**
     * The program's executable {@code entrypoint} (a path relative to {@code codeRoot}) as a real path:
     * every link in it resolved, inside the real {@code codeRoot}, and a regular file. Anything else is
     * the program's fault: a 400 naming the entrypoint. Making the returned path executable touches
     * only the program's own file.
     */
    public static Path entrypoint(Path codeRoot, String entrypoint) {
        CrnException bad = new CrnException(400, "entrypoint " + entrypoint + " is not a file of the program's code",
                Map.of("entrypoint", String.valueOf(entrypoint)));
        if (entrypoint == null || entrypoint.isBlank()) throw bad;
        try {
            Path root = codeRoot.toRealPath();
            Path rel = Path.of(entrypoint);
            if (rel.isAbsolute()) throw bad;
            Path real = root.resolve(rel).toRealPath();
            if (!real.startsWith(root) || real.equals(root) || !Files.isRegularFile(real, NOFOLLOW)) throw bad;
            return real;
        } catch (IOException | InvalidPathException e) {
            throw bad;
        }
    }

    /** {@code candidate}'s real path when it is {@code dir} or inside the real {@code dir}, else null. */
    static Path contained(Path dir, Path candidate) {
        try {
            Path root = dir.toRealPath();
            Path real = candidate.toRealPath();
            return real.startsWith(root) ? real : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** What {@link #sanitize} found and removed. */
    record Summary(long entries, long bytes, int removedSpecial, int removedLinks, int strippedModes) {}

    /**
     * Walks {@code root} without following links and leaves only what a program's code may hold:
     * device nodes, FIFOs and sockets are deleted; setuid, setgid and sticky bits (and write access
     * for group and others) are cleared; files
     * hard-linked to something outside the tree are deleted; symbolic links are kept only when they
     * resolve, link by link, to something inside the tree (an absolute link never does). With
     * {@code chownToRoot} every entry is handed to root (without following links). Enforces the
     * entry count, size and path bounds of {@code limits} on what the tree really holds.
     */
    static Summary sanitize(Path root, PrepareLimits limits, boolean chownToRoot) throws IOException {
        BasicFileAttributes rootAttrs = Files.readAttributes(root, BasicFileAttributes.class, NOFOLLOW);
        if (!rootAttrs.isDirectory()) throw new UnpackException("the archive's root is not a directory");
        List<Path> links = new ArrayList<>();
        Map<Object, List<Path>> linked = new HashMap<>();
        Map<Object, Integer> linkCounts = new HashMap<>();
        long[] entries = {0};
        long[] bytes = {0};
        int[] special = {0};
        int[] modes = {0};
        Files.walkFileTree(root, EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                        if (!dir.equals(root)) visit(dir, attrs);
                        else if (chownToRoot) chown(dir);
                        if (fixMode(dir)) modes[0]++;
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        visit(file, attrs);
                        if (attrs.isOther()) {
                            Files.delete(file);
                            special[0]++;
                        } else if (attrs.isSymbolicLink()) {
                            links.add(file);
                        } else if (attrs.isRegularFile()) {
                            if (fixMode(file)) modes[0]++;
                            bytes[0] += attrs.size();
                            if (bytes[0] > limits.maxUnpackedBytes()) {
                                throw UnpackException.limit("the archive unpacks to more than " + limits.maxUnpackedBytes()
                                        + " bytes", "max_unpacked_bytes", limits.maxUnpackedBytes());
                            }
                            int nlink = ((Number) Files.getAttribute(file, "unix:nlink", NOFOLLOW)).intValue();
                            if (nlink > 1 && attrs.fileKey() != null) {
                                linked.computeIfAbsent(attrs.fileKey(), k -> new ArrayList<>()).add(file);
                                linkCounts.put(attrs.fileKey(), nlink);
                            }
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                        throw e;
                    }

                    private void visit(Path p, BasicFileAttributes attrs) throws IOException {
                        if (++entries[0] > limits.maxEntries()) {
                            throw UnpackException.limit("the archive holds more than " + limits.maxEntries() + " entries",
                                    "max_entries", limits.maxEntries());
                        }
                        checkPath(root.relativize(p).toString(), limits);
                        if (chownToRoot) chown(p);
                    }
                });
        // a hard link whose other names are not all in the tree shares its data with a file outside it
        for (var e : linked.entrySet()) {
            if (e.getValue().size() < linkCounts.get(e.getKey())) {
                for (Path p : e.getValue()) Files.delete(p);
                special[0] += e.getValue().size();
            }
        }
        // validity is monotone (a link that resolves inside only traverses links that do), so one pass decides
        int[] budget = {Math.max(1_000_000, 64 * limits.maxEntries())};
        List<Path> outside = new ArrayList<>();
        for (Path link : links) {
            if (!resolvesInside(root, link, budget)) outside.add(link);
        }
        for (Path link : outside) Files.delete(link);
        return new Summary(entries[0], bytes[0], special[0], outside.size(), modes[0]);
    }

    /** Checks one entry path (relative to the archive root) against the path bounds. */
    static void checkPath(String rel, PrepareLimits limits) throws UnpackException {
        if (rel.length() > limits.maxPathLength()) {
            throw UnpackException.limit("an entry's path is longer than " + limits.maxPathLength() + " characters",
                    "max_path_length", limits.maxPathLength());
        }
        int depth = 1;
        for (int i = 0; i < rel.length(); i++) if (rel.charAt(i) == '/') depth++;
        if (depth > limits.maxPathDepth()) {
            throw UnpackException.limit("an entry's path is more than " + limits.maxPathDepth() + " levels deep",
                    "max_path_depth", limits.maxPathDepth());
        }
    }

    private static void chown(Path p) throws IOException {
        // with NOFOLLOW_LINKS the JDK uses lchown: a link is handed over, never its target
        Files.setAttribute(p, "unix:uid", 0, NOFOLLOW);
        Files.setAttribute(p, "unix:gid", 0, NOFOLLOW);
    }

    /**
     * Clears setuid, setgid and sticky bits and write access for group and others of a file or
     * directory (never called on a link); true when it changed something.
     */
    private static boolean fixMode(Path p) throws IOException {
        int mode = ((Number) Files.getAttribute(p, "unix:mode", NOFOLLOW)).intValue() & 07777;
        int wanted = mode & 0755;
        if (mode == wanted) return false;
        Files.setPosixFilePermissions(p, permissions(wanted));
        return true;
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE};
        for (int i = 0; i < 9; i++) if ((mode & (0400 >> i)) != 0) s.add(order[i]);
        return s;
    }

    /**
     * Resolves {@code link} the way the kernel would, one component and one link at a time, but
     * confined to {@code root}: false as soon as a step climbs above it, meets an absolute link,
     * something missing, a non-directory in the middle, or too many links. Never touches anything
     * outside the tree, and its answer does not depend on where the tree sits on the host.
     */
    static boolean resolvesInside(Path root, Path link, int[] budget) throws IOException {
        Path rel = root.relativize(link);
        Deque<String> done = new ArrayDeque<>();
        for (int i = 0; i < rel.getNameCount() - 1; i++) done.addLast(rel.getName(i).toString());
        Deque<String> todo = new ArrayDeque<>();
        todo.add(rel.getFileName().toString());
        int hops = 0;
        while (!todo.isEmpty()) {
            if (--budget[0] < 0) {
                throw new UnpackException("the archive's symbolic links take too long to resolve");
            }
            String c = todo.removeFirst();
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (done.isEmpty()) return false;
                done.removeLast();
                continue;
            }
            Path p = root;
            for (String d : done) p = p.resolve(d);
            p = p.resolve(c);
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
            } catch (NoSuchFileException e) {
                return false;
            }
            if (a.isSymbolicLink()) {
                if (++hops > MAX_LINK_HOPS) return false;
                String target = Files.readSymbolicLink(p).toString();
                if (target.startsWith("/")) return false;
                String[] parts = target.split("/");
                for (int i = parts.length - 1; i >= 0; i--) todo.addFirst(parts[i]);
            } else {
                if (!a.isDirectory() && todo.stream().anyMatch(s -> !s.isEmpty())) return false;
                done.addLast(c);
            }
        }
        return true;
    }

    /** Total size of the regular files under {@code root}, links not followed. */
    static long size(Path root) {
        long[] total = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile()) total[0] += attrs.size();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // a partial figure is still a figure
        }
        return total[0];
    }

    /**
     * Deletes {@code p} and everything under it, never following links (a link is removed, not its
     * target), making directories writable first so an unprivileged node can delete what it unpacked.
     * What cannot be deleted is left and logged (the next start's leftover scan tries again).
     */
    static void deleteTree(Path p) {
        if (!Files.exists(p, NOFOLLOW)) return;
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.setPosixFilePermissions(dir, permissions(0700));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    file.toFile().delete();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    file.toFile().delete();
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    dir.toFile().delete();
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LoggerFactory.getLogger(CodeTree.class).warn("cannot delete {} entirely: {}", p, e.toString());
        }
    }
}
