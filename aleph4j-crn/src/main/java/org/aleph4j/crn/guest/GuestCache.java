package org.aleph4j.crn.guest;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.aleph4j.crn.CrnException;

/**
 * Upstream's per-program key-value cache (there Redis, keys {@code <vm_hash>:<key>}, expiring after
 * 7 days), kept in the node's memory: one namespace per item hash, shared by that program's
 * executions and lost when the node stops. Bounded so a hostile program cannot exhaust the node: key
 * names, value size, keys and bytes per program, bytes for all programs together. Time is injected.
 */
public final class GuestCache {
    /** Upstream accepts {@code ^\w+$}; here ASCII word characters, at most 256 of them. */
    static final Pattern KEY = Pattern.compile("[A-Za-z0-9_]{1,256}");
    /** Upstream's list pattern ({@code ^[\w?*^\-]+$}, a Redis glob over the program's keys). */
    static final Pattern LIST_PATTERN = Pattern.compile("[A-Za-z0-9_?*^\\-]{1,256}");

    /**
     * @param maxValueBytes   one value
     * @param maxProgramKeys  keys of one program
     * @param maxProgramBytes keys and values of one program
     * @param maxNodeBytes    keys and values of all programs on the node
     * @param ttl             an entry expires this long after it was last written (upstream: 7 days)
     */
    public record Limits(int maxValueBytes, int maxProgramKeys, long maxProgramBytes, long maxNodeBytes, Duration ttl) {
        public static final Limits DEFAULT = new Limits(1024 * 1024, 1024, 16L * 1024 * 1024, 256L * 1024 * 1024,
                Duration.ofDays(7));
    }

    private record Entry(byte[] value, Instant expires) {}

    private static final class Namespace {
        final Map<String, Entry> entries = new LinkedHashMap<>();
        long bytes;
    }

    private final Limits limits;
    private final InstantSource clock;
    private final Map<String, Namespace> programs = new HashMap<>();
    private long nodeBytes;

    public GuestCache(Limits limits, InstantSource clock) {
        this.limits = limits;
        this.clock = clock;
    }

    public Limits limits() {
        return limits;
    }

    /** The value of {@code key} for {@code program}, or null. */
    public synchronized byte[] get(String program, String key) {
        checkKey(key);
        Namespace ns = live(program);
        Entry e = ns == null ? null : ns.entries.get(key);
        return e == null ? null : e.value.clone();
    }

    /** Stores {@code value}; 413 past one of the program's bounds, 507 when the node's cache is full. */
    public synchronized void put(String program, String key, byte[] value) {
        checkKey(key);
        if (value.length > limits.maxValueBytes) {
            throw new CrnException(413, "a cache value holds at most " + limits.maxValueBytes + " bytes",
                    Map.of("bytes", value.length, "limit", limits.maxValueBytes));
        }
        Namespace ns = live(program);
        if (ns == null) ns = new Namespace();
        Entry old = ns.entries.get(key);
        long oldSize = old == null ? 0 : size(key, old.value);
        long delta = size(key, value) - oldSize;
        if (old == null && ns.entries.size() >= limits.maxProgramKeys) {
            throw new CrnException(413, "a program's cache holds at most " + limits.maxProgramKeys + " keys",
                    Map.of("keys", ns.entries.size(), "limit", limits.maxProgramKeys));
        }
        if (ns.bytes + delta > limits.maxProgramBytes) {
            throw new CrnException(413, "a program's cache holds at most " + limits.maxProgramBytes + " bytes",
                    Map.of("bytes", ns.bytes, "limit", limits.maxProgramBytes));
        }
        if (nodeBytes + delta > limits.maxNodeBytes) {
            purgeExpired();
            if (nodeBytes + delta > limits.maxNodeBytes) {
                throw new CrnException(507, "the node's program cache is full", Map.of("limit", limits.maxNodeBytes));
            }
        }
        ns.entries.put(key, new Entry(value.clone(), clock.instant().plus(limits.ttl)));
        ns.bytes += delta;
        nodeBytes += delta;
        programs.put(program, ns);
    }

    /** Deletes {@code key}; the number of keys deleted (0 or 1), as upstream's Redis DEL. */
    public synchronized int delete(String program, String key) {
        checkKey(key);
        Namespace ns = live(program);
        if (ns == null) return 0;
        Entry e = ns.entries.remove(key);
        if (e == null) return 0;
        drop(program, ns, size(key, e.value));
        return 1;
    }

    /** The program's keys matching {@code glob} ({@code *}, {@code ?}; other characters literal). */
    public synchronized List<String> keys(String program, String glob) {
        if (glob == null || !LIST_PATTERN.matcher(glob).matches()) {
            throw new CrnException(400, "Invalid pattern: letters, digits, _, ?, *, ^ and - only",
                    Map.of("pattern", String.valueOf(glob)));
        }
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            re.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        Pattern p = Pattern.compile(re.toString());
        Namespace ns = live(program);
        List<String> out = new ArrayList<>();
        if (ns != null) for (String k : ns.entries.keySet()) if (p.matcher(k).matches()) out.add(k);
        return out;
    }

    /** Bytes held for all programs (keys and values). */
    public synchronized long bytes() {
        return nodeBytes;
    }

    private static long size(String key, byte[] value) {
        return key.length() + (long) value.length;
    }

    private static void checkKey(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new CrnException(400, "Invalid key: 1 to 256 letters, digits or _",
                    Map.of("key", key == null ? "" : key.length() > 64 ? key.substring(0, 64) + "..." : key));
        }
    }

    /** The program's namespace with its expired entries removed, or null when empty. */
    private Namespace live(String program) {
        Namespace ns = programs.get(program);
        if (ns == null) return null;
        Instant now = clock.instant();
        for (Iterator<Map.Entry<String, Entry>> it = ns.entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> e = it.next();
            if (!e.getValue().expires.isAfter(now)) {
                it.remove();
                ns.bytes -= size(e.getKey(), e.getValue().value);
                nodeBytes -= size(e.getKey(), e.getValue().value);
            }
        }
        if (ns.entries.isEmpty()) {
            programs.remove(program);
            return null;
        }
        return ns;
    }

    private void drop(String program, Namespace ns, long bytes) {
        ns.bytes -= bytes;
        nodeBytes -= bytes;
        if (ns.entries.isEmpty()) programs.remove(program);
    }

    private void purgeExpired() {
        for (String program : List.copyOf(programs.keySet())) live(program);
    }
}
