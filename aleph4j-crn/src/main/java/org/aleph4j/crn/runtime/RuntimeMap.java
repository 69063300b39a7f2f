package org.aleph4j.crn.runtime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.aleph4j.message.ItemHashes;

/**
 * Which runtime refs this node runs, beyond aleph4j's own default runtime (always served by the node's
 * {@code python}): with {@code upstream} (config key {@code upstream-runtimes}, default true) every entry
 * of {@link org.aleph4j.message.runtime.UpstreamRuntimes} is served by the node's {@code python}; then
 * each entry (config key {@code runtime-map}, {@code <ref>=<python path>} or {@code <ref>=off}, comma
 * separated) adds a ref, gives a ref another interpreter, or ({@code off}) removes it.
 */
public record RuntimeMap(boolean upstream, List<Entry> entries) {
    /** One configured ref: served by {@code python}, or not at all when {@code python} is null ({@code off}). */
    public record Entry(String ref, Path python) {
        public Entry {
            if (!ItemHashes.isSha256Hash(ref)) throw new IllegalArgumentException("runtime-map: '" + ref + "' is not a 64-hex runtime ref");
            if (python != null && !python.isAbsolute()) {
                throw new IllegalArgumentException("runtime-map: the interpreter of " + ref + " must be an absolute path, not " + python);
            }
        }
    }

    public RuntimeMap {
        entries = entries == null ? List.of() : List.copyOf(entries);
    }

    /** Upstream's official runtimes on the node's python, nothing else configured. */
    public static RuntimeMap defaults() {
        return new RuntimeMap(true, List.of());
    }

    /**
     * Parses {@code runtime-map} entries ({@code <ref>=<absolute python path>} or {@code <ref>=off});
     * a bad entry is an {@link IllegalArgumentException} whose message says what is expected.
     */
    public static RuntimeMap parse(boolean upstream, Collection<String> entries) {
        List<Entry> out = new ArrayList<>();
        for (String raw : entries) {
            String e = raw.strip();
            if (e.isEmpty()) continue;
            int eq = e.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("runtime-map entries are <runtime ref>=<python path> or <runtime ref>=off, not '" + e + "'");
            }
            String ref = e.substring(0, eq).strip().toLowerCase(java.util.Locale.ROOT);
            String value = e.substring(eq + 1).strip();
            if (value.isEmpty()) throw new IllegalArgumentException("runtime-map: no interpreter given for " + ref + " (a python path or off)");
            out.add(new Entry(ref, value.equalsIgnoreCase("off") ? null : Path.of(value)));
        }
        return new RuntimeMap(upstream, out);
    }

    /** This map with {@code more} entries after its own (a later entry for the same ref wins). */
    public RuntimeMap with(Entry... more) {
        List<Entry> all = new ArrayList<>(entries);
        all.addAll(List.of(more));
        return new RuntimeMap(upstream, all);
    }
}
