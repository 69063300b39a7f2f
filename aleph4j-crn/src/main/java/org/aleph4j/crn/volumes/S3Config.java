package org.aleph4j.crn.volumes;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Where an {@link S3SnapshotStore} keeps its parts: objects {@code <prefix><sha256>} in {@code bucket},
 * path-style, at {@code endpoint} (null: AWS's own for the region) in {@code region}, signed with the
 * access and secret key given, or the AWS SDK's default credentials chain when both are null. The
 * secret key never appears in {@link #toString()}.
 */
public record S3Config(String bucket, String prefix, URI endpoint, String region, String accessKey, String secretKey) {
    public static final String DEFAULT_REGION = "us-east-1";
    /** The form of the {@code snapshot-store} setting, for error messages. */
    public static final String FORM = "ccn or s3://<bucket>/<prefix>?endpoint=http://host:port&region=<region>";
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** An object key is at most 1024 bytes: the prefix leaves room for the 64 hex digits of a ref. */
    private static final int MAX_PREFIX_BYTES = 1024 - 64;

    public S3Config {
        if (bucket == null || !BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
            throw new IllegalArgumentException("'" + bucket + "' is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-')");
        }
        prefix = prefix == null ? "" : prefix;
        if (prefix.startsWith("/") || prefix.getBytes(StandardCharsets.UTF_8).length > MAX_PREFIX_BYTES
                || prefix.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("the object prefix must not start with '/', hold control characters or exceed "
                    + MAX_PREFIX_BYTES + " bytes");
        }
        if (endpoint != null && !isBaseUrl(endpoint)) {
            throw new IllegalArgumentException("endpoint must be a URL like http://host:port (no path, query or credentials), not '"
                    + endpoint + "'");
        }
        region = region == null ? DEFAULT_REGION : region;
        if (!REGION.matcher(region).matches()) throw new IllegalArgumentException("'" + region + "' is not a region name");
        if ((accessKey == null) != (secretKey == null) || "".equals(accessKey) || "".equals(secretKey)) {
            throw new IllegalArgumentException("give both snapshot-store-access-key and snapshot-store-secret-key, or neither "
                    + "(the AWS SDK's default credentials chain)");
        }
    }

    /**
     * The {@code snapshot-store} setting: {@code ccn} (or nothing) means the CCN's file store (null),
     * {@code s3://<bucket>/<prefix>?endpoint=...&region=...} this bucket.
     *
     * @throws IllegalArgumentException with a one-line message naming the setting, never a key
     */
    public static S3Config parse(String setting, String accessKey, String secretKey) {
        String v = setting == null ? "" : setting.strip();
        if (v.isEmpty() || v.equals("ccn")) return null;
        try {
            if (!v.startsWith("s3://")) throw new IllegalArgumentException("unknown store");
            URI u;
            try {
                u = new URI(v);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a URL (" + e.getReason() + ")");
            }
            if (u.getRawUserInfo() != null) {
                // the value is not echoed: it holds a key
                throw new IllegalArgumentException("setting snapshot-store must not carry credentials: use "
                        + "snapshot-store-access-key and snapshot-store-secret-key");
            }
            if (u.getRawFragment() != null) throw new IllegalArgumentException("a fragment is not allowed");
            if (u.getPort() != -1) throw new IllegalArgumentException("the bucket is a name, not host:port (the port goes in endpoint=)");
            String bucket = u.getHost() == null ? u.getRawAuthority() : u.getHost();
            String path = u.getRawPath() == null ? "" : decode(u.getRawPath());
            String prefix = path.startsWith("/") ? path.substring(1) : path;
            URI endpoint = null;
            String region = null;
            if (u.getRawQuery() != null) {
                for (String pair : u.getRawQuery().split("&")) {
                    if (pair.isEmpty()) continue;
                    int eq = pair.indexOf('=');
                    String k = eq < 0 ? pair : pair.substring(0, eq);
                    String val = eq < 0 ? "" : decode(pair.substring(eq + 1));
                    switch (k) {
                        case "endpoint" -> endpoint = endpoint(val);
                        case "region" -> region = val;
                        default -> throw new IllegalArgumentException("unknown parameter '" + k + "' (endpoint and region are known)");
                    }
                }
            }
            return new S3Config(bucket, prefix, endpoint, region, blankToNull(accessKey), blankToNull(secretKey));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("setting snapshot-store")) throw e;
            throw new IllegalArgumentException("setting snapshot-store must be " + FORM + ", got '" + v + "': " + e.getMessage());
        }
    }

    /** http(s)://host[:port], nothing more. */
    private static boolean isBaseUrl(URI u) {
        boolean web = "http".equals(u.getScheme()) || "https".equals(u.getScheme());
        return web && u.getHost() != null && u.getRawUserInfo() == null && u.getRawQuery() == null && u.getRawFragment() == null
                && (u.getRawPath().isEmpty() || u.getRawPath().equals("/"));
    }

    private static URI endpoint(String s) {
        try {
            return new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("endpoint '" + s + "' is not a URL");
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** Where the parts go, as an operator would write it. */
    public String location() {
        return "s3://" + bucket + "/" + prefix + (endpoint == null ? "" : " at " + endpoint) + " (" + region + ")";
    }

    @Override
    public String toString() {
        return "S3Config[" + location() + ", credentials " + (accessKey == null ? "from the default chain" : "from the settings") + "]";
    }
}
