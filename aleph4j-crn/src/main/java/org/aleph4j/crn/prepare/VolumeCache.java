package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.aleph4j.message.ItemHashes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The immutable volume cache: one entry per file hash, {@code <dir>/<sha256>/}, holding either
 * {@value #ROOT}/ (an unpacked squashfs image) or {@value #FILE} (any other file), never both.
 * Entries appear whole (renamed into place) and are bounded together by
 * {@link PrepareLimits#maxCodeCacheBytes()}, least recently used out (the order of use kept on disk
 * as modification times), never evicting an entry a holder pins or whose file's lock is held.
 */
final class VolumeCache {
    private static final Logger log = LoggerFactory.getLogger(VolumeCache.class);
    static final String ROOT = "root";
    static final String FILE = "file";
    private final Path dir;
    private final CacheIndex index;
    private final KeyLocks locks;
    /** Holder (an execution) to the file hashes of the volumes it pins. */
    private final Map<String, Set<String>> pins = new HashMap<>();

    /** Opens (creating it when missing) the cache in {@code dir}, dropping leftovers of interrupted work. */
    VolumeCache(Path dir, PrepareLimits limits, KeyLocks locks) {
        this.dir = dir;
        this.index = new CacheIndex(limits.maxCodeCacheBytes());
        this.locks = locks;
        try {
            Files.createDirectories(dir);
            load();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Path dir() {
        return dir;
    }

    /** The content of {@code fileHash}'s entry (its root directory or its file) and records the use; null when absent. */
    Path lookup(String fileHash) {
        Path entry = dir.resolve(fileHash);
        Path content = content(entry);
        if (content == null) return null;
        index.touch(fileHash);
        CodeCaches.touch(entry);
        return content;
    }

    /** Records the entry {@code fileHash} just renamed into place, of {@code bytes}. */
    void put(String fileHash, long bytes) {
        index.put(fileHash, bytes);
    }

    void pin(String holder, String fileHash) {
        synchronized (pins) {
            pins.computeIfAbsent(holder, h -> new HashSet<>()).add(fileHash);
        }
    }

    void unpin(String holder) {
        synchronized (pins) {
            pins.remove(holder);
        }
    }

    boolean isPinned(String fileHash) {
        synchronized (pins) {
            return pins.values().stream().anyMatch(s -> s.contains(fileHash));
        }
    }

    /**
     * Deletes least recently used entries until the cache fits its bound, skipping pinned entries
     * and those whose file's lock is held. An entry is renamed away before it is deleted, so a crash
     * never leaves a half-deleted entry under its name.
     */
    void evict() {
        if (!index.overBound()) return;
        for (String key : index.eldestFirst()) {
            if (!index.overBound()) return;
            KeyLocks.Held held = locks.tryLock(key);
            if (held == null) continue;
            try (held) {
                if (isPinned(key)) continue;
                Path entry = dir.resolve(key);
                Path gone = dir.resolve(Preparer.TMP + "evict-" + key);
                CodeTree.deleteTree(gone);
                if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) Files.move(entry, gone, StandardCopyOption.ATOMIC_MOVE);
                CodeTree.deleteTree(gone);
                index.remove(key);
                log.info("evicted immutable volume {} from the cache ({} of {} bytes used)", key, index.total(), index.maxBytes());
            } catch (IOException e) {
                log.warn("cannot evict {}: {}", dir.resolve(key), e.toString());
            }
        }
    }

    /** An entry's content when it is whole (a directory holding a root directory or a regular file, not links), else null. */
    private static Path content(Path entry) {
        if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) return null;
        Path root = entry.resolve(ROOT);
        if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) return root;
        Path file = entry.resolve(FILE);
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) ? file : null;
    }

    /** Rebuilds the index from disk, oldest use first; temporary and malformed entries are deleted. */
    private void load() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (p.getFileName().toString().startsWith(Preparer.TMP)) CodeTree.deleteTree(p);
            }
        }
        for (Path entry : CodeCaches.byAge(dir)) {
            String name = entry.getFileName().toString();
            Path content = content(entry);
            if (!ItemHashes.isSha256Hash(name) || content == null) {
                CodeTree.deleteTree(entry);
                continue;
            }
            index.put(name, Files.isDirectory(content, LinkOption.NOFOLLOW_LINKS) ? CodeTree.size(content) : Files.size(content));
        }
        evict();
    }
}
