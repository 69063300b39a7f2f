package org.aleph4j.node;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node's settings, resolved from (lowest to highest precedence) built-in defaults, a properties
 * config file, environment variables {@code ALEPH4J_<KEY>} (upper case, '-' and '.' as '_') and
 * command-line flags. Keys are kebab-case, e.g. {@code port}, {@code ccn-url}, {@code lease-ttl}.
 */
public final class Settings {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");
    private static final Pattern BYTES = Pattern.compile("(\\d{1,18})\\s*((?i:kib|mib|gib|k|m|g|kb|mb|gb|b))?");
    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = values;
    }

    /** Resolves settings from a config file (may be null), the environment and flag overrides. */
    public static Settings resolve(Path configFile, Map<String, String> env, Map<String, String> flags) throws IOException {
        Map<String, String> v = new HashMap<>();
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) throw new IOException("config file not found: " + configFile);
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(configFile)) {
                p.load(r);
            }
            p.forEach((k, val) -> v.put(k.toString().trim(), val.toString().trim()));
        }
        env.forEach((k, val) -> {
            if (k.startsWith("ALEPH4J_") && !k.equals("ALEPH4J_JAVA_OPTS") && !k.equals("ALEPH4J_LOG_LEVEL")) {
                v.put(k.substring(8).toLowerCase(Locale.ROOT).replace('_', '-'), val);
            }
        });
        flags.forEach((k, val) -> {
            if (val != null) v.put(k, val);
        });
        return new Settings(v);
    }

    public static Settings of(Map<String, String> values) {
        return new Settings(new HashMap<>(values));
    }

    public String string(String key, String dflt) {
        String s = values.get(key);
        return s == null || s.isBlank() ? dflt : s;
    }

    public int integer(String key, int dflt) {
        String s = values.get(key);
        if (s == null || s.isBlank()) return dflt;
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting " + key + " must be an integer, got '" + s + "'");
        }
    }

    public Path path(String key, Path dflt) {
        String s = values.get(key);
        return s == null || s.isBlank() ? dflt : Path.of(s);
    }

    public URI uri(String key, URI dflt) {
        String s = values.get(key);
        return s == null || s.isBlank() ? dflt : parseUri(key, s);
    }

    private static URI parseUri(String key, String s) {
        try {
            URI u = URI.create(s.trim());
            if (u.getScheme() == null || u.getHost() == null) throw new IllegalArgumentException();
            return u;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting " + key + " must be a URL like http://127.0.0.1:4024, got '" + s + "'");
        }
    }

    /** Durations as "500ms", "5s", "2m", "1h", a plain number of seconds, or ISO-8601 ("PT5S"). */
    public Duration duration(String key, Duration dflt) {
        String s = values.get(key);
        if (s == null || s.isBlank()) return dflt;
        s = s.trim();
        if (s.startsWith("P") || s.startsWith("p")) return Duration.parse(s);
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("setting " + key + " must be a duration like 5s or 500ms, got '" + s + "'");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** {@code true}/{@code false} (also yes/no, on/off, 1/0). */
    public boolean bool(String key, boolean dflt) {
        String s = values.get(key);
        if (s == null || s.isBlank()) return dflt;
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("setting " + key + " must be true or false, got '" + s + "'");
        };
    }

    /** A size in bytes: a plain number, or with a unit {@code KiB}, {@code MiB}, {@code GiB} (or k, m, g). */
    public long bytes(String key, long dflt) {
        String s = values.get(key);
        if (s == null || s.isBlank()) return dflt;
        Matcher m = BYTES.matcher(s.trim());
        if (!m.matches()) throw new IllegalArgumentException("setting " + key + " must be a size like 8MiB or 8388608, got '" + s + "'");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 0;
        };
        if (n <= 0 || n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("setting " + key + " must be a positive size, got '" + s + "'");
        }
        return n << shift;
    }

    /** A comma-separated list. */
    /** Comma-separated URLs, each checked as {@link #uri}; empty when unset. */
    public java.util.List<URI> uris(String key) {
        java.util.List<URI> out = new java.util.ArrayList<>();
        for (String u : set(key)) out.add(parseUri(key, u));
        return out;
    }

    public Set<String> set(String key) {
        String s = values.get(key);
        Set<String> out = new LinkedHashSet<>();
        if (s == null) return out;
        Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).forEach(out::add);
        return out;
    }
}
