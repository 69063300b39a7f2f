package org.aleph4j.crn.prepare;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/** The entries of one cache directory with their sizes, in order of use (least recently used first). */
final class CacheIndex {
    private final long maxBytes;
    private final LinkedHashMap<String, Long> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long total;

    CacheIndex(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    long maxBytes() {
        return maxBytes;
    }

    synchronized void put(String key, long size) {
        Long old = entries.put(key, size);
        total += size - (old == null ? 0 : old);
    }

    synchronized void touch(String key) {
        entries.get(key);
    }

    synchronized void remove(String key) {
        Long old = entries.remove(key);
        if (old != null) total -= old;
    }

    synchronized long total() {
        return total;
    }

    synchronized boolean overBound() {
        return total > maxBytes;
    }

    synchronized List<String> eldestFirst() {
        return new ArrayList<>(entries.keySet());
    }
}
