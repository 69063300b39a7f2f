package org.aleph4j.crn.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.runtime.DefaultRuntime;

/** Maps runtime refs of PROGRAM messages to local runtimes; a ref not listed is not available here. */
public final class RuntimeRegistry {
    private final Map<String, LocalRuntime> byRef;

    public RuntimeRegistry(List<LocalRuntime> runtimes) {
        this.byRef = runtimes.stream().collect(java.util.stream.Collectors.toUnmodifiableMap(LocalRuntime::ref, r -> r));
    }

    /** Only aleph4j's default Python runtime, served by {@code python}. */
    public static RuntimeRegistry defaultFor(Path python) {
        return new RuntimeRegistry(List.of(new LocalRuntime(DefaultRuntime.ref(), DefaultRuntime.COMMENT, python)));
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

    public List<LocalRuntime> all() {
        return List.copyOf(byRef.values());
    }
}
