package org.aleph4j.client;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Environment;
import org.aleph4j.message.content.Payment;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.Resources;
import org.aleph4j.message.content.Runtime;
import org.aleph4j.message.content.Triggers;
import org.aleph4j.message.content.Volume;
import org.aleph4j.message.runtime.DefaultRuntime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds PROGRAM contents the way upstream's CLI does (reference §2 and §4.1): payment hold on
 * ETH, {@code aleph_api} on, internet off, {@code code.use_latest} and {@code runtime.use_latest}
 * true, 30 s per request, {@code on.http} true, {@code authorized_keys: []}, metadata name, and
 * resources from compute units (tier N = N vCPU and N × 2048 MiB) unless vCPUs/memory are given.
 * The default runtime is aleph4j's {@link DefaultRuntime#ref()}. {@code allow_amend} is true when
 * updatable or persistent, so a persistent program can later be unpersisted.
 *
 * <pre>{@code
 * ProgramContent c = new ProgramBuilder(account.address(), codeStoreHash, "main:app", Encoding.ZIP)
 *         .name("hello").persistent(true).time(now).build();
 * }</pre>
 */
public final class ProgramBuilder {
    /** MiB of memory in one compute unit. */
    public static final int COMPUTE_UNIT_MIB = Resources.DEFAULT_MEMORY_MIB_PER_UNIT;
    public static final double DEFAULT_TIMEOUT_SECONDS = 30.0;

    private final String address;
    private final String codeRef;
    private final String entrypoint;
    private final Encoding encoding;
    private String name;
    private String runtimeRef = DefaultRuntime.ref();
    private String runtimeComment;
    private Integer computeUnits;
    private Integer vcpus;
    private Integer memory;
    private double timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
    private com.fasterxml.jackson.databind.JsonNode requirements;
    private boolean internet;
    private boolean alephApi = true;
    private boolean updatable;
    private boolean persistent;
    private boolean http = true;
    private Map<String, String> variables;
    private final List<Volume> volumes = new ArrayList<>();
    private Payment payment = Payment.hold();
    private double time;

    /**
     * @param address    owner and payer
     * @param codeRef    item hash of the STORE message holding the code
     * @param entrypoint {@code module:app} for ASGI, or an executable path for binary programs
     * @param encoding   how the code is packed
     */
    public ProgramBuilder(String address, String codeRef, String entrypoint, Encoding encoding) {
        this.address = address;
        this.codeRef = codeRef;
        this.entrypoint = entrypoint;
        this.encoding = encoding;
    }

    public ProgramBuilder name(String v) { this.name = v; return this; }
    /** The runtime STORE hash; a non-default runtime gets an empty comment unless one is given. */
    public ProgramBuilder runtime(String ref) { if (ref != null) this.runtimeRef = ref; return this; }
    public ProgramBuilder runtimeComment(String v) { this.runtimeComment = v; return this; }
    public ProgramBuilder computeUnits(Integer v) { this.computeUnits = v; return this; }
    public ProgramBuilder vcpus(Integer v) { this.vcpus = v; return this; }
    public ProgramBuilder memory(Integer mib) { this.memory = mib; return this; }
    public ProgramBuilder timeoutSeconds(Double v) { if (v != null) this.timeoutSeconds = v; return this; }
    public ProgramBuilder internet(boolean v) { this.internet = v; return this; }
    public ProgramBuilder alephApi(boolean v) { this.alephApi = v; return this; }
    public ProgramBuilder updatable(boolean v) { this.updatable = v; return this; }
    public ProgramBuilder persistent(boolean v) { this.persistent = v; return this; }
    public ProgramBuilder http(boolean v) { this.http = v; return this; }
    public ProgramBuilder variables(Map<String, String> v) { this.variables = v == null || v.isEmpty() ? null : new LinkedHashMap<>(v); return this; }
    public ProgramBuilder volume(Volume v) { this.volumes.add(v); return this; }
    public ProgramBuilder volumes(List<Volume> v) { this.volumes.addAll(v); return this; }
    public ProgramBuilder payment(Payment v) { this.payment = v; return this; }
    public ProgramBuilder time(double v) { this.time = v; return this; }
    /** {@code requirements} as upstream writes them, e.g. {@code {"node": {"node_hash": ...}}}; null for none. */
    public ProgramBuilder requirements(com.fasterxml.jackson.databind.JsonNode v) { this.requirements = v; return this; }

    /**
     * The resources this builder will write. {@code --compute-units N} gives N vCPUs and N × 2048 MiB;
     * a given vCPU count or memory is kept as given and only the other one comes from the compute
     * units: N when given, else the vCPU count for memory (upstream's tier) and 1 vCPU for memory
     * alone (more memory never adds vCPUs the user did not ask for).
     */
    public Resources resources() {
        int v = vcpus != null ? vcpus : computeUnits != null ? computeUnits : 1;
        int cu = computeUnits != null ? computeUnits : vcpus != null ? vcpus : 1;
        int m = memory != null ? memory : cu * COMPUTE_UNIT_MIB;
        int seconds = (int) Math.max(1, Math.ceil(timeoutSeconds));
        return new Resources(v, m, seconds, null);
    }

    /** The content, with every default written out (upstream's "full dump", reference §1.7). */
    public ProgramContent build() {
        if (address == null || address.isBlank()) throw new IllegalArgumentException("address is required");
        if (!ItemHashes.isItemHash(codeRef)) throw new IllegalArgumentException("code ref is not an item hash: " + codeRef);
        checkEntrypoint(entrypoint);
        ObjectNode metadata = null;
        if (name != null) {
            metadata = JsonNodeFactory.instance.objectNode();
            metadata.put("name", name);
        }
        String comment = runtimeComment != null ? runtimeComment
                : DefaultRuntime.ref().equals(runtimeRef) ? DefaultRuntime.COMMENT : "";
        return new ProgramContent(address, time, updatable || persistent, metadata, List.of(), variables,
                new Environment(false, internet, alephApi, false), resources(), payment, requirements, volumes, null,
                ProgramContent.TYPE, new CodeContent(encoding, entrypoint, codeRef, null, null, true),
                new Runtime(runtimeRef, true, comment), null, null, new Triggers(http, null, persistent));
    }

    /**
     * Checks an entrypoint: {@code module:attr} with both parts present (ASGI), or a path without
     * a colon (binary). Throws {@link IllegalArgumentException} saying what is wrong.
     */
    public static void checkEntrypoint(String entrypoint) {
        if (entrypoint == null || entrypoint.isBlank()) throw new IllegalArgumentException("the entrypoint is empty");
        int colon = entrypoint.indexOf(':');
        if (colon >= 0) {
            String module = entrypoint.substring(0, colon);
            String attr = entrypoint.substring(colon + 1);
            if (module.isBlank() || attr.isBlank() || attr.contains(":")) {
                throw new IllegalArgumentException("entrypoint '" + entrypoint
                        + "' must be module:app with both parts, e.g. main:app");
            }
        }
    }

    /**
     * Parses a CLI volume option ({@code key=value,key=value}) as upstream does for
     * {@code --persistent-volume} (adds {@code persistence: host}), {@code --ephemeral-volume} and
     * {@code --immutable-volume}; {@code mount} must be an absolute path.
     */
    public static Volume parseVolume(String kind, String spec) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("volume option '" + spec + "': expected key=value pairs");
            kv.put(part.substring(0, eq).strip(), part.substring(eq + 1).strip());
        }
        String mount = kv.get("mount");
        if (mount == null || !mount.startsWith("/")) {
            throw new IllegalArgumentException("volume option '" + spec + "': mount=/absolute/path is required");
        }
        String comment = kv.get("comment");
        return switch (kind.toLowerCase(Locale.ROOT)) {
            case "persistent" -> new Volume.Persistent(comment, mount, null, kv.getOrDefault("persistence", "host"),
                    kv.get("name"), intOf(kv, "size_mib", spec));
            case "ephemeral" -> new Volume.Ephemeral(comment, mount, true, intOf(kv, "size_mib", spec));
            case "immutable" -> {
                String ref = kv.get("ref");
                if (!ItemHashes.isItemHash(ref)) throw new IllegalArgumentException("volume option '" + spec + "': ref=<STORE hash> is required");
                // Upstream turns "use_latest=false" into true by a truthiness bug; aleph4j reads it as written.
                Boolean useLatest = kv.containsKey("use_latest") ? Boolean.valueOf(kv.get("use_latest")) : null;
                yield new Volume.Immutable(comment, mount, ref, useLatest);
            }
            default -> throw new IllegalArgumentException("unknown volume kind " + kind);
        };
    }

    private static Integer intOf(Map<String, String> kv, String key, String spec) {
        String v = kv.get(key);
        if (v == null) throw new IllegalArgumentException("volume option '" + spec + "': " + key + "=<MiB> is required");
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("volume option '" + spec + "': " + key + " must be a whole number");
        }
    }

    /** Parses {@code K=v,K2=v2} environment variables. */
    public static Map<String, String> parseEnvVars(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) return out;
        for (String part : spec.split(",")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("environment variable '" + part + "': expected KEY=value");
            out.put(part.substring(0, eq).strip(), part.substring(eq + 1));
        }
        return out;
    }
}
