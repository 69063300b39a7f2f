package org.aleph4j.message.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.aleph4j.message.ItemHashes;

/**
 * Upstream aleph.im's official runtimes (the built-in table, {@code upstream-runtimes.tsv}). Their refs
 * are STORE messages of aleph.im's network: an aleph4j CCN accepts PROGRAMs naming them without the
 * STORE, and a CRN maps them to a local runtime. Nodes may replace the table in their configuration.
 */
public final class UpstreamRuntimes {
    /** One official runtime: its ref (a STORE item hash), upstream's name, and what it provides. */
    public record Runtime(String ref, String name, String provides) {
        public Runtime {
            if (!ItemHashes.isSha256Hash(ref)) throw new IllegalArgumentException("runtime ref is not a 64-hex item hash: " + ref);
            if (name == null || name.isBlank()) throw new IllegalArgumentException("runtime " + ref + " has no name");
            provides = provides == null ? "" : provides;
        }
    }

    private static final List<Runtime> BUILT_IN = load();

    /** The built-in table, in file order. */
    public static List<Runtime> builtIn() {
        return BUILT_IN;
    }

    /** The built-in entry for {@code ref}, if upstream publishes it. */
    public static Optional<Runtime> find(String ref) {
        return BUILT_IN.stream().filter(r -> r.ref().equals(ref)).findFirst();
    }

    /** upstream's default runtime (what its {@code aleph program upload} names when asked nothing). */
    public static Runtime upstreamDefault() {
        return BUILT_IN.get(0);
    }

    private static List<Runtime> load() {
        try (InputStream in = UpstreamRuntimes.class.getResourceAsStream("upstream-runtimes.tsv")) {
            if (in == null) throw new IllegalStateException("upstream-runtimes.tsv is missing");
            List<Runtime> out = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.split("\t", -1);
                out.add(new Runtime(f[0], f[1], f.length > 2 ? f[2] : ""));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UpstreamRuntimes() {}
}
