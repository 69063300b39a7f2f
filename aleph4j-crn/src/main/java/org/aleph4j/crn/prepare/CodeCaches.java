package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.aleph4j.message.ItemHashes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRN's two caches, downloaded files ({@code files/}) and unpacked code ({@code code/}), each
 * bounded and evicted least recently used first (the order of use is kept on disk as modification
 * times, so it survives a restart), never evicting code a holder (an execution) pins or an entry
 * whose file a preparation holds the lock of.
 */
final class CodeCaches {
    private static final Logger log = LoggerFactory.getLogger(CodeCaches.class);
    private final Path filesDir;
    private final Path codeDir;
    private final PrepareLimits limits;
    private final KeyLocks locks;
    final CacheIndex files;
    final CacheIndex code;
    /** Holder (an execution) to the code cache entry it pins. */
    private final Map<String, String> pins = new HashMap<>();

    CodeCaches(Path filesDir, Path codeDir, PrepareLimits limits, KeyLocks locks) {
        this.filesDir = filesDir;
        this.codeDir = codeDir;
        this.limits = limits;
        this.locks = locks;
        this.files = new CacheIndex(limits.maxFilesCacheBytes());
        this.code = new CacheIndex(limits.maxCodeCacheBytes());
    }

    void pin(String holder, String key) {
        synchronized (pins) {
            pins.put(holder, key);
        }
    }

    void unpin(String holder) {
        synchronized (pins) {
            pins.remove(holder);
        }
    }

    /** Evicts both caches down to their bounds. */
    void evict() {
        evict(files, filesDir, false);
        evict(code, codeDir, true);
    }

    /**
     * Deletes least recently used entries of {@code index} until it fits its bound. An entry is kept
     * while its file's lock is held (a preparation is using it, this one included) and, for code,
     * while a holder pins it. A code tree is renamed away before it is deleted, so a crash never
     * leaves a half-deleted tree under its cache name.
     */
    private void evict(CacheIndex index, Path dir, boolean code) {
        if (!index.overBound()) return;
        for (String key : index.eldestFirst()) {
            if (!index.overBound()) return;
            KeyLocks.Held held = locks.tryLock(fileHashOf(key));
            if (held == null) continue;
            try (held) {
                if (code && isPinned(key)) continue;
                Path entry = dir.resolve(key);
                if (code) {
                    Path gone = dir.resolve(Preparer.TMP + "evict-" + key);
                    CodeTree.deleteTree(gone);
                    if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) Files.move(entry, gone, StandardCopyOption.ATOMIC_MOVE);
                    CodeTree.deleteTree(gone);
                } else {
                    Files.deleteIfExists(entry);
                }
                index.remove(key);
                log.info("evicted {} {} from the cache ({} of {} bytes used)", code ? "code" : "file", key, index.total(),
                        index.maxBytes());
            } catch (IOException e) {
                log.warn("cannot evict {}: {}", dir.resolve(key), e.toString());
            }
        }
    }

    /**
     * Rebuilds both cache indexes from disk, oldest use first: leftovers of interrupted work are
     * deleted, and code unpacked before (perhaps by an older version) is sanitized again or dropped.
     */
    void load() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(filesDir)) {
            for (Path f : ds) {
                String name = f.getFileName().toString();
                if (name.startsWith(".download-") || name.startsWith(Preparer.TMP)) Files.deleteIfExists(f);
            }
        }
        for (Path f : byAge(filesDir)) {
            String name = f.getFileName().toString();
            if (ItemHashes.isSha256Hash(name) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                files.put(name, Files.size(f));
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(codeDir)) {
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (name.startsWith(Preparer.TMP) || name.contains(".tmp-")) CodeTree.deleteTree(d);
            }
        }
        for (Path d : byAge(codeDir)) {
            String name = d.getFileName().toString();
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) || !ItemHashes.isSha256Hash(fileHashOf(name))) {
                CodeTree.deleteTree(d);
                continue;
            }
            try {
                code.put(name, CodeTree.sanitize(d, limits, false).bytes());
            } catch (IOException e) {
                log.warn("dropping cached code {}: {}", name, e.getMessage());
                CodeTree.deleteTree(d);
            }
        }
        evict();
    }

    static List<Path> byAge(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(all::add);
        }
        Map<Path, Long> mtime = new HashMap<>();
        for (Path p : all) {
            try {
                mtime.put(p, Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis());
            } catch (IOException e) {
                mtime.put(p, 0L);
            }
        }
        all.sort(Comparator.comparing(mtime::get));
        return all;
    }

    boolean isPinned(String key) {
        synchronized (pins) {
            return pins.containsValue(key);
        }
    }

    /** Records a use on disk too, so the order of use survives a restart. */
    static void touch(Path p) {
        try {
            Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
        } catch (IOException ignored) {
            // the in-memory order still holds
        }
    }

    static String fileHashOf(String key) {
        int dash = key.indexOf('-');
        return dash < 0 ? key : key.substring(0, dash);
    }
}
