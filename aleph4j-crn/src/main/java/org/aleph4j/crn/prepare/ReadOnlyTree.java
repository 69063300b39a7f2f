package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Makes a sanitized tree read-only for everyone and readable by everyone: directories 0555, files
 * 0444, or 0555 when their owner could execute them. Links are left alone (they have no mode of
 * their own). The owner (root when the node runs as root) could still change modes back; nobody
 * else can, and the tree is bound read-only anyway.
 */
final class ReadOnlyTree {
    private ReadOnlyTree() {}

    static void apply(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                // listable and changeable by the owner while its entries are changed (an image may hold a 0000 directory)
                Files.setPosixFilePermissions(dir, CodeTree.permissions(0755));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    int mode = ((Number) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue();
                    Files.setPosixFilePermissions(file, CodeTree.permissions((mode & 0100) != 0 ? 0555 : 0444));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null) throw e;
                Files.setPosixFilePermissions(dir, CodeTree.permissions(0555));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                throw e;
            }
        });
    }
}
