package org.aleph4j.crn.prepare;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per key (a code file hash), created while someone uses it and dropped after, so the map
 * stays as small as the work in progress. Preparation waits for its key; eviction only takes keys
 * nobody holds or waits for, so it never deletes what a preparation is reading or writing.
 */
final class KeyLocks {
    /** A held lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock();
        int users;
    }

    private final Map<String, Entry> locks = new HashMap<>();

    Held lock(String key) throws InterruptedException {
        Entry e;
        synchronized (this) {
            e = locks.computeIfAbsent(key, k -> new Entry());
            e.users++;
        }
        try {
            e.lock.lockInterruptibly();
        } catch (InterruptedException ex) {
            leave(key, e);
            throw ex;
        }
        return () -> {
            e.lock.unlock();
            leave(key, e);
        };
    }

    /** The lock of {@code key} when nobody (this thread included) holds or waits for it, else null. */
    synchronized Held tryLock(String key) {
        if (locks.containsKey(key)) return null;
        Entry e = new Entry();
        e.lock.lock();
        e.users = 1;
        locks.put(key, e);
        return () -> {
            e.lock.unlock();
            leave(key, e);
        };
    }

    synchronized boolean busy(String key) {
        return locks.containsKey(key);
    }

    private synchronized void leave(String key, Entry e) {
        if (--e.users == 0) locks.remove(key, e);
    }
}
