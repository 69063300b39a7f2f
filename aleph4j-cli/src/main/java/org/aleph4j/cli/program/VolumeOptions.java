package org.aleph4j.cli.program;

import org.aleph4j.cli.CliException;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Volume;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The volume options of {@code aleph program upload}, in upstream aleph-client's format (reference
 * §4.1): each value is a comma-separated {@code key=value} list, and each option may be repeated.
 * They give the PROGRAM's {@code content.volumes} in upstream's order (persistent, then ephemeral,
 * then immutable), with upstream's types ({@code size_mib} an integer, {@code use_latest} a boolean)
 * and {@code persistence: host} unless another is given.
 *
 * <p>Unlike upstream, which re-prompts for a missing mount and leaves other mistakes to the
 * message schema, a bad value is a usage error naming the option and the value, raised before
 * anything is signed or sent. Also unlike upstream, {@code use_latest=false} means false (upstream's
 * truthiness slip turns it into true) and a {@code persistence} given by the user is kept (upstream
 * overwrites it with {@code host}).
 */
final class VolumeOptions {
    /** Largest ephemeral volume upstream accepts, in MiB. */
    static final int EPHEMERAL_MAX_MIB = 1000;
    /** Largest persistent volume upstream accepts, in MiB (2048 GB, rounded up). */
    static final int PERSISTENT_MAX_MIB = 1_953_125;
    /** Upstream's limit on {@code mount}, {@code name} and {@code comment}. */
    static final int MAX_TEXT = 256;

    @Option(names = "--persistent-volume", paramLabel = "SPEC",
            description = "A volume the node keeps across restarts and moves (repeatable): "
                    + "name=NAME,mount=/abs/path,size_mib=N[,persistence=host|store][,comment=TEXT]; "
                    + "size_mib 1.." + PERSISTENT_MAX_MIB + ", persistence defaults to host. "
                    + "E.g. --persistent-volume name=data,mount=/data,size_mib=100")
    List<String> persistent = new ArrayList<>();

    @Option(names = "--ephemeral-volume", paramLabel = "SPEC",
            description = "Scratch space that lives as long as one execution (repeatable): "
                    + "mount=/abs/path,size_mib=N[,comment=TEXT]; size_mib 1.." + EPHEMERAL_MAX_MIB + ". "
                    + "E.g. --ephemeral-volume mount=/scratch,size_mib=50")
    List<String> ephemeral = new ArrayList<>();

    @Option(names = "--immutable-volume", paramLabel = "SPEC",
            description = "A read-only volume holding the file of a STORE message (repeatable): "
                    + "ref=HASH,mount=/abs/path[,use_latest=true|false][,comment=TEXT]; use_latest (follow amends "
                    + "of the STORE) defaults to true. E.g. --immutable-volume ref=<STORE hash>,mount=/mnt/lib")
    List<String> immutable = new ArrayList<>();

    @Option(names = "--skip-volume", negatable = true,
            description = "Accepted for compatibility: upstream uses it to skip its interactive volume prompts; "
                    + "aleph4j never prompts, so it has no effect.")
    boolean skipVolume;

    /** The three kinds, each with the option that gives it and the keys it takes. */
    enum Kind {
        PERSISTENT("--persistent-volume", List.of("name", "mount", "size_mib", "persistence", "comment")),
        EPHEMERAL("--ephemeral-volume", List.of("mount", "size_mib", "ephemeral", "comment")),
        IMMUTABLE("--immutable-volume", List.of("ref", "mount", "use_latest", "comment"));

        final String option;
        final List<String> keys;

        Kind(String option, List<String> keys) {
            this.option = option;
            this.keys = keys;
        }
    }

    /**
     * Every volume the options give, checked: a bad value, two volumes on one mount point, or two
     * persistent volumes with one name is a {@link CliException#usage usage error}.
     */
    List<Volume> volumes() {
        List<Volume> out = new ArrayList<>();
        Set<String> mounts = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (Kind kind : Kind.values()) {
            for (String spec : specs(kind)) {
                Volume v = parse(kind, spec);
                if (!mounts.add(v.mount())) throw bad(kind, spec, "another volume is already mounted at " + v.mount());
                if (v instanceof Volume.Persistent p && p.name() != null && !names.add(p.name())) {
                    throw bad(kind, spec, "another persistent volume is already named " + p.name());
                }
                out.add(v);
            }
        }
        return out;
    }

    /**
     * Checks that every immutable volume names a STORE the CCN knows (not forgotten or rejected), so
     * that no program is left pending for a volume that will never come. Upstream does not check.
     */
    static void requireStores(List<Volume> volumes, CcnClient ccn) throws CcnException {
        for (Volume v : volumes) {
            if (!(v instanceof Volume.Immutable im)) continue;
            MessageRecord rec = ccn.message(im.ref()).orElse(null);
            String problem = rec == null ? "no message " + im.ref() + " on the CCN at " + ccn.baseUrl()
                    + " — upload the volume's file first (aleph file upload)"
                    : rec.message() != null && rec.message().type() != MessageType.STORE ? "message " + im.ref() + " is a "
                    + rec.message().type() + ", not a STORE"
                    : rec.forgotten() || rec.rejected() ? "the STORE " + im.ref() + " is " + rec.status() : null;
            if (problem != null) throw new CliException(Kind.IMMUTABLE.option + " ref=" + im.ref() + ": " + problem);
        }
    }

    /** One line saying what a volume is, e.g. {@code /data: persistent "data", 100 MiB, persistence host}. */
    static String describe(Volume v) {
        return v.mount() + ": " + switch (v) {
            case Volume.Persistent p -> "persistent" + (p.name() == null ? "" : " \"" + p.name() + "\"") + ", " + p.sizeMib()
                    + " MiB, persistence " + p.persistence();
            case Volume.Ephemeral e -> "ephemeral, " + e.sizeMib() + " MiB";
            case Volume.Immutable i -> "immutable, STORE " + i.ref() + (i.useLatest() ? " (latest version)" : " (this version)");
        };
    }

    private List<String> specs(Kind kind) {
        return switch (kind) {
            case PERSISTENT -> persistent;
            case EPHEMERAL -> ephemeral;
            case IMMUTABLE -> immutable;
        };
    }

    /** Parses one option value of {@code kind}; throws a usage error naming the option and the value. */
    static Volume parse(Kind kind, String spec) {
        Map<String, String> kv = pairs(kind, spec);
        String mount = kv.get("mount");
        if (mount == null) throw bad(kind, spec, "mount=/absolute/path is required");
        if (!mount.startsWith("/") || mount.length() < 2) throw bad(kind, spec, "mount must be an absolute path like /data, got '" + mount + "'");
        String comment = kv.get("comment");
        for (String key : List.of("mount", "name", "comment")) {
            if (kv.containsKey(key) && kv.get(key).length() > MAX_TEXT) throw bad(kind, spec, key + " is longer than " + MAX_TEXT + " characters");
        }
        return switch (kind) {
            case PERSISTENT -> {
                String persistence = kv.getOrDefault("persistence", "host");
                if (!persistence.equals("host") && !persistence.equals("store")) {
                    throw bad(kind, spec, "persistence must be host or store, got '" + persistence + "'");
                }
                String name = kv.get("name");
                if (name != null && name.isEmpty()) throw bad(kind, spec, "name is empty");
                yield new Volume.Persistent(comment, mount, null, persistence, name, sizeMib(kind, spec, kv, PERSISTENT_MAX_MIB));
            }
            case EPHEMERAL -> {
                if (kv.containsKey("ephemeral") && !kv.get("ephemeral").equalsIgnoreCase("true")) {
                    throw bad(kind, spec, "ephemeral can only be true");
                }
                yield new Volume.Ephemeral(comment, mount, true, sizeMib(kind, spec, kv, EPHEMERAL_MAX_MIB));
            }
            case IMMUTABLE -> {
                String ref = kv.get("ref");
                if (ref == null) throw bad(kind, spec, "ref=<STORE item hash> is required");
                if (!ItemHashes.isItemHash(ref)) throw bad(kind, spec, "ref must be the item hash of a STORE message, got '" + ref + "'");
                yield new Volume.Immutable(comment, mount, ref, bool(kind, spec, kv, "use_latest", true));
            }
        };
    }

    /** The {@code key=value} pairs of {@code spec}, keys known to {@code kind}, each at most once. */
    private static Map<String, String> pairs(Kind kind, String spec) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw bad(kind, spec, "expected key=value, got '" + part.strip() + "'");
            String key = part.substring(0, eq).strip();
            if (!kind.keys.contains(key)) throw bad(kind, spec, "unknown key '" + key + "' (known: " + String.join(", ", kind.keys) + ")");
            if (kv.put(key, part.substring(eq + 1).strip()) != null) throw bad(kind, spec, key + " is given twice");
        }
        return kv;
    }

    private static int sizeMib(Kind kind, String spec, Map<String, String> kv, int max) {
        String v = kv.get("size_mib");
        if (v == null) throw bad(kind, spec, "size_mib=<MiB> is required");
        if (!v.matches("[0-9]+")) throw bad(kind, spec, "size_mib must be a whole number of MiB, got '" + v + "'");
        long size = v.length() > 12 ? Long.MAX_VALUE : Long.parseLong(v);
        if (size < 1 || size > max) throw bad(kind, spec, "size_mib must be between 1 and " + max + " MiB, got " + v);
        return (int) size;
    }

    private static boolean bool(Kind kind, String spec, Map<String, String> kv, String key, boolean dflt) {
        String v = kv.get(key);
        if (v == null) return dflt;
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad(kind, spec, key + " must be true or false, got '" + v + "'");
        };
    }

    private static CliException bad(Kind kind, String spec, String problem) {
        return CliException.usage(kind.option + " '" + spec + "': " + problem);
    }
}
