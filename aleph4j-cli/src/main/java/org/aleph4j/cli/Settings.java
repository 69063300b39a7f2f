package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.account.AccountStore;
import org.aleph4j.message.Json;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Endpoints and defaults, each resolved as flag, else environment variable, else
 * {@code <config home>/config.json}, else the devnet default.
 *
 * <p>config.json keys: {@code ccn_url, scheduler_url, crn_url, vm_domain, path} (default key file), {@code channel}.
 */
public final class Settings {
    public static final String DEFAULT_CCN = "http://127.0.0.1:4024";
    public static final String DEFAULT_SCHEDULER = "http://127.0.0.1:4030";
    public static final String DEFAULT_CRN = "http://127.0.0.1:4041";
    public static final String DEFAULT_VM_DOMAIN = "aleph.localhost";

    private final Map<String, String> env;
    private final Path home;
    private final JsonNode config;

    public Settings(Map<String, String> env) {
        this.env = env;
        this.home = AccountStore.defaultHome(env);
        this.config = readConfig(home.resolve("config.json"));
    }

    private static JsonNode readConfig(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            return Json.MAPPER.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage().lines().findFirst().orElse("")
                    + " — fix or delete that file");
        }
    }

    public Path home() {
        return home;
    }

    /** {@code <config home>/config.json}. */
    public Path configFile() {
        return home.resolve("config.json");
    }

    /** The config file's keys as they are (empty object when there is none). */
    public com.fasterxml.jackson.databind.node.ObjectNode config() {
        return config instanceof com.fasterxml.jackson.databind.node.ObjectNode o ? o.deepCopy() : Json.MAPPER.createObjectNode();
    }

    /** Writes {@code updated} as config.json (pretty-printed, mode kept), creating the config home if needed. */
    public void writeConfig(com.fasterxml.jackson.databind.node.ObjectNode updated) throws IOException {
        Files.createDirectories(home);
        Path tmp = Files.createTempFile(home, "config", ".json.tmp");
        Files.writeString(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(updated) + "\n");
        Files.move(tmp, configFile(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The configured chain (config {@code chain}); ETH, the only one aleph4j signs for, by default. */
    public String chain() {
        return value(null, "ALEPH_CHAIN", "chain", "ETH");
    }

    public AccountStore accounts() {
        return new AccountStore(home);
    }

    /**
     * The CCN: --ccn-url, else {@code ALEPH_CCN_URL}, else upstream aleph-client's {@code ALEPH_API_HOST},
     * else config {@code ccn_url}. aleph4j's own variable wins over upstream's when both are set, so a
     * devnet script that sets it is not overridden by an upstream setting left in the shell.
     */
    public URI ccnUrl(String flag) {
        String f = flag;
        if ((f == null || f.isBlank()) && blank(env.get("ALEPH_CCN_URL")) && !blank(env.get("ALEPH_API_HOST"))) {
            f = env.get("ALEPH_API_HOST");
        }
        return url(f, "ALEPH_CCN_URL", "ccn_url", DEFAULT_CCN, "--ccn-url");
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    public URI schedulerUrl(String flag) {
        return schedulerUrls(flag).getFirst();
    }

    /** The scheduler URLs, comma-separated (a leader and its standbys, tried in turn). */
    public java.util.List<URI> schedulerUrls(String flag) {
        String v = value(flag, "ALEPH_SCHEDULER_URL", "scheduler_url", DEFAULT_SCHEDULER);
        java.util.List<URI> out = new java.util.ArrayList<>();
        for (String one : v.split(",")) {
            if (!one.isBlank()) out.add(url(one, null, null, null, "--scheduler-url"));
        }
        if (out.isEmpty()) throw CliException.usage("--scheduler-url names no URL");
        return out;
    }

    public URI crnUrl(String flag) {
        return url(flag, "ALEPH_CRN_URL", "crn_url", DEFAULT_CRN, "--crn-url");
    }

    public String vmDomain(String flag) {
        return value(flag, "ALEPH_VM_DOMAIN", "vm_domain", DEFAULT_VM_DOMAIN);
    }

    /** The default key file: config {@code path}, else {@code <home>/private-keys/ethereum.key}. */
    public Path defaultKeyFile() {
        String p = value(null, "ALEPH_PRIVATE_KEY_FILE", "path", null);
        return p == null ? accounts().defaultKeyFile() : Path.of(p);
    }

    public String value(String flag, String envName, String configKey, String dflt) {
        if (flag != null && !flag.isBlank()) return flag;
        String e = env.get(envName);
        if (e != null && !e.isBlank()) return e;
        if (config != null && config.hasNonNull(configKey)) return config.get(configKey).asText();
        return dflt;
    }

    private URI url(String flag, String envName, String configKey, String dflt, String option) {
        String v = envName == null ? flag : value(flag, envName, configKey, dflt);
        try {
            URI u = URI.create(v.strip());
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw CliException.usage("'" + v + "' is not a valid URL for " + option + " (e.g. http://127.0.0.1:4024)");
        }
    }
}
