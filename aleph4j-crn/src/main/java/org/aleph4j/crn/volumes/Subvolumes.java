package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The top level of one mounted volume filesystem: its entries, which of them are read-only
 * subvolumes, and deleting them (a subvolume with the subvolumes a program nested in it, or any
 * other entry a stranger's stream may have made, never following symlinks).
 */
final class Subvolumes {
    /** On btrfs the root directory of every subvolume is inode 256. */
    private static final long SUBVOLUME_ROOT_INODE = 256;
    private static final Pattern LISTED = Pattern.compile("(?m)^ID \\d+ gen \\d+ top level (\\d+) path (.+)$");
    private final Path fs;

    Subvolumes(Path fs) {
        this.fs = fs;
    }

    /** Names of the top-level entries, sorted. */
    List<String> topLevel() throws IOException {
        try (Stream<Path> s = Files.list(fs)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Names of the read-only subvolumes directly under the filesystem root. */
    List<String> readOnly() throws IOException {
        List<String> out = new ArrayList<>();
        Matcher m = LISTED.matcher(VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "list", "-r", fs.toString()));
        while (m.find()) if (m.group(1).equals("5") && !m.group(2).contains("/")) out.add(m.group(2));
        return out;
    }

    /**
     * The one entry a receive added to the top level since {@code before}, which must be a read-only
     * subvolume that {@code btrfs receive} completed (it has a received UUID).
     */
    String receivedSince(List<String> before) throws IOException {
        List<String> added = topLevel().stream().filter(n -> !before.contains(n)).toList();
        if (added.size() != 1) throw new VolumeException("a snapshot stream created " + added + ", not one snapshot");
        String show = VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "show", fs.resolve(added.get(0)).toString());
        if (!show.matches("(?s).*\\n\\s*Flags:\\s*readonly\\s*\\n.*")
                || !show.matches("(?s).*\\n\\s*Received UUID:\\s*[0-9a-f]{8}-[0-9a-f-]{27}\\s*\\n.*")) {
            throw new VolumeException("snapshot " + added.get(0) + " was not completely received");
        }
        return added.get(0);
    }

    /** The number {@code pattern} finds in {@code btrfs subvolume show} of {@code subvolume}. */
    static long show(Path subvolume, Pattern pattern) throws IOException {
        String text = VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "show", subvolume.toString());
        Matcher m = pattern.matcher(text);
        if (!m.find()) throw new VolumeException("unexpected output of btrfs subvolume show: " + text.strip());
        return Long.parseLong(m.group(1));
    }

    /** Deletes the entry {@code name}, whatever it is; nothing when it does not exist. */
    void delete(String name) throws IOException {
        Path p = fs.resolve(name);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        if (!isSubvolume(p)) {
            deleteTree(p);
            return;
        }
        // subvolumes nested below it (a program may create some in live), deepest first
        List<String> nested = new ArrayList<>();
        Matcher m = LISTED.matcher(VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "list", "-o", p.toString()));
        while (m.find()) nested.add(m.group(2));
        nested.sort(Comparator.comparingInt(String::length).reversed());
        for (String n : nested) VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "delete", fs.resolve(n).toString());
        VolumeTools.run(VolumeTools.SHORT, "btrfs", "subvolume", "delete", p.toString());
    }

    /** Deletes every top-level entry not in {@code keep}, recording failures on {@code failure}. */
    void deleteAllBut(List<String> keep, Throwable failure) {
        try {
            for (String n : topLevel()) {
                if (keep.contains(n)) continue;
                try {
                    delete(n);
                } catch (IOException | RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static boolean isSubvolume(Path p) throws IOException {
        return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)
                && ((Number) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS)).longValue() == SUBVOLUME_ROOT_INODE;
    }

    /** Deletes a tree without following symlinks. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
