package org.aleph4j.crn.runtime;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.message.runtime.UpstreamRuntimes;

/**
 * Maps runtime refs of PROGRAM messages to local runtimes; a ref not listed is not available here.
 * A ref is only looked up: no runtime file is ever downloaded, so a mapped upstream ref needs no STORE
 * on the CCN, and {@code runtime.use_latest} is not followed (the ref names the runtime, whichever
 * version of it the node provides).
 */
public final class RuntimeRegistry {
    private final Map<String, LocalRuntime> byRef;

    public RuntimeRegistry(List<LocalRuntime> runtimes) {
        Map<String, LocalRuntime> m = new LinkedHashMap<>();
        for (LocalRuntime r : runtimes) m.put(r.ref(), r);
        this.byRef = java.util.Collections.unmodifiableMap(m);
    }

    /** Only aleph4j's default Python runtime, served by {@code python}. */
    public static RuntimeRegistry defaultFor(Path python) {
        return new RuntimeRegistry(List.of(new LocalRuntime(DefaultRuntime.ref(), DefaultRuntime.COMMENT, python)));
    }

    /**
     * aleph4j's default runtime on {@code python}, then (when {@code map.upstream()}) upstream's official
     * runtimes on {@code python}, then {@code map}'s entries applied in order.
     */
    public static RuntimeRegistry of(RuntimeMap map, Path python) {
        Map<String, LocalRuntime> m = new LinkedHashMap<>();
        m.put(DefaultRuntime.ref(), new LocalRuntime(DefaultRuntime.ref(), DefaultRuntime.COMMENT, python));
        if (map.upstream()) {
            for (UpstreamRuntimes.Runtime u : UpstreamRuntimes.builtIn()) {
                m.put(u.ref(), new LocalRuntime(u.ref(), u.name(), python, LocalRuntime.Origin.UPSTREAM, u.provides()));
            }
        }
        for (RuntimeMap.Entry e : map.entries()) {
            if (e.python() == null) {
                m.remove(e.ref());
                continue;
            }
            LocalRuntime known = m.get(e.ref());
            if (known != null) {
                m.put(e.ref(), new LocalRuntime(e.ref(), known.name(), e.python(), known.origin(), known.provides()));
            } else {
                var upstream = UpstreamRuntimes.find(e.ref());
                m.put(e.ref(), upstream.map(u -> new LocalRuntime(u.ref(), u.name(), e.python(), LocalRuntime.Origin.UPSTREAM, u.provides()))
                        .orElseGet(() -> new LocalRuntime(e.ref(), "configured runtime", e.python(), LocalRuntime.Origin.CONFIGURED,
                                "the interpreter " + e.python() + " (runtime-map)")));
            }
        }
        return new RuntimeRegistry(List.copyOf(m.values()));
    }

    public Optional<LocalRuntime> find(String ref) {
        return Optional.ofNullable(byRef.get(ref));
    }

    /** The runtime for {@code ref}, or a 503 naming it (this node cannot run the program; another may). */
    public LocalRuntime require(String ref) {
        LocalRuntime r = byRef.get(ref);
        if (r == null) {
            throw new CrnException(503, "runtime " + ref + " is not available on this node",
                    Map.of("runtime", String.valueOf(ref), "supported", List.copyOf(byRef.keySet())));
        }
        return r;
    }

    /** Every runtime, in the order they were configured (aleph4j's default first). */
    public List<LocalRuntime> all() {
        return List.copyOf(byRef.values());
    }
}
