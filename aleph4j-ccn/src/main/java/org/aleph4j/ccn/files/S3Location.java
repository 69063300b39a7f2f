package org.aleph4j.ccn.files;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The {@code file-store} setting when it names a bucket: objects {@code <prefix><sha256>} in {@code bucket},
 * path-style, at {@code endpoint} (null: AWS's own for the region), signed with the access and secret key given or,
 * when both are null, the AWS SDK's default credentials chain (environment {@code AWS_ACCESS_KEY_ID} /
 * {@code AWS_SECRET_ACCESS_KEY}, profile, instance role). Every call is bounded by {@code timeout} (plus 1 s per MiB
 * moved). The secret key never appears in {@link #toString()}.
 */
public record S3Location(String bucket, String prefix, URI endpoint, String region, String accessKey, String secretKey,
                         Duration timeout) {
    public static final String DEFAULT_REGION = "us-east-1";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /** The form of the setting, for error messages. */
    public static final String FORM = "local or s3://<bucket>/<prefix>?endpoint=http://host:port&region=<region>";
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern REGION = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** An object key is at most 1024 bytes: the prefix leaves room for the 64 hex digits of a hash. */
    private static final int MAX_PREFIX_BYTES = 1024 - 64;

    public S3Location {
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
            throw new IllegalArgumentException("endpoint must be a URL like http://host:port (no path, query or credentials)");
        }
        region = region == null ? DEFAULT_REGION : region;
        if (!REGION.matcher(region).matches()) throw new IllegalArgumentException("'" + region + "' is not a region name");
        if ((accessKey == null) != (secretKey == null) || "".equals(accessKey) || "".equals(secretKey)) {
            throw new IllegalArgumentException("give both file-store-access-key and file-store-secret-key, or neither "
                    + "(the AWS SDK's default credentials chain)");
        }
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("file-store-timeout must be between 1 ms and 10 min");
        }
    }

    /**
     * The {@code file-store} setting: {@code local} (or nothing) means the data directory (null), an
     * {@code s3://<bucket>/<prefix>?endpoint=...&region=...} URL this bucket.
     *
     * @throws IllegalArgumentException with a one-line message naming the setting, never a key
     */
    public static S3Location parse(String setting, String accessKey, String secretKey, Duration timeout) {
        String v = setting == null ? "" : setting.strip();
        if (v.isEmpty() || v.equals("local")) return null;
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
                throw new IllegalArgumentException("setting file-store must not carry credentials: use "
                        + "file-store-access-key and file-store-secret-key (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
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
            return new S3Location(bucket, prefix, endpoint, region, blankToNull(accessKey), blankToNull(secretKey), timeout);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("setting file-store")) throw e;
            throw new IllegalArgumentException("setting file-store must be " + FORM + ", got '" + v + "': " + e.getMessage());
        }
    }

    private static boolean isBaseUrl(URI u) {
        boolean web = "http".equals(u.getScheme()) || "https".equals(u.getScheme());
        return web && u.getHost() != null && u.getRawUserInfo() == null && u.getRawQuery() == null && u.getRawFragment() == null
                && (u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/"));
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

    /** Where the files go, as an operator would write it. */
    public String location() {
        return "s3://" + bucket + "/" + prefix + (endpoint == null ? "" : " at " + endpoint) + " (" + region + ")";
    }

    @Override
    public String toString() {
        return "S3Location[" + location() + ", credentials " + (accessKey == null ? "from the default chain" : "from the settings")
                + ", timeout " + timeout + "]";
    }
}
