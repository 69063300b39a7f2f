package org.aleph4j.ccn;

import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.aleph4j.ccn.files.S3Location;
import org.aleph4j.message.runtime.UpstreamRuntimes;

/**
 * Configuration of a CCN.
 *
 * @param dataDir                      directory holding the SQLite database (by default) and the file store
 * @param host                         interface to listen on
 * @param port                         TCP port, 0 for any free port
 * @param jdbcUrl                      PostgreSQL (or SQLite) JDBC URL; null means SQLite under {@code dataDir}
 * @param oracleAddresses              addresses whose {@code balances-update} POSTs set balances
 * @param pricingOwner                 owner of the {@code pricing} aggregate
 * @param maxFileBytes                 size limit of authenticated uploads (with a STORE message)
 * @param maxUnauthenticatedFileBytes  size limit of uploads without a message (add_json has its own, smaller one)
 * @param limits                       caps against abuse: page size, websocket subscribers and queues, anonymous uploads
 * @param upstreamRuntimeRefs          runtime refs (upstream aleph.im's STORE item hashes) that PROGRAMs may name
 *                                     without their STORE existing on this network; null means the built-in table
 *                                     {@link UpstreamRuntimes#builtIn()}, an empty set none
 * @param fileStore                    where files are kept: null for {@code <dataDir>/files} (one node), an S3 bucket
 *                                     for replicas that share one database
 */
public record CcnConfig(Path dataDir, String host, int port, String jdbcUrl, Set<String> oracleAddresses,
                        String pricingOwner, long maxFileBytes, long maxUnauthenticatedFileBytes, CcnLimits limits,
                        Set<String> upstreamRuntimeRefs, S3Location fileStore) {
    public static final String UPSTREAM_PRICING_OWNER = "0xFba561a84A537fCaa567bb7A2257e7142701ae2A";
    public static final long MIB = 1024L * 1024L;

    public CcnConfig {
        if (dataDir == null) throw new IllegalArgumentException("dataDir is required");
        host = host == null ? "127.0.0.1" : host;
        oracleAddresses = oracleAddresses == null ? Set.of() : Set.copyOf(oracleAddresses);
        pricingOwner = pricingOwner == null ? UPSTREAM_PRICING_OWNER : pricingOwner;
        if (maxFileBytes <= 0) maxFileBytes = 100 * MIB;
        if (maxUnauthenticatedFileBytes <= 0) maxUnauthenticatedFileBytes = 25 * MIB;
        if (limits == null) limits = CcnLimits.defaults();
        upstreamRuntimeRefs = upstreamRuntimeRefs == null
                ? UpstreamRuntimes.builtIn().stream().map(UpstreamRuntimes.Runtime::ref).collect(Collectors.toUnmodifiableSet())
                : Set.copyOf(upstreamRuntimeRefs);
    }

    public CcnConfig(Path dataDir, String host, int port, String jdbcUrl, Set<String> oracleAddresses,
                     String pricingOwner, long maxFileBytes, long maxUnauthenticatedFileBytes) {
        this(dataDir, host, port, jdbcUrl, oracleAddresses, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, null, null, null);
    }

    /** SQLite under {@code dataDir}, 127.0.0.1 on a free port, no oracle, upstream's pricing owner and size limits. */
    public static CcnConfig defaults(Path dataDir) {
        return new CcnConfig(dataDir, "127.0.0.1", 0, null, Set.of(), UPSTREAM_PRICING_OWNER, 100 * MIB, 25 * MIB, CcnLimits.defaults(), null, null);
    }

    public CcnConfig withPort(int p) {
        return new CcnConfig(dataDir, host, p, jdbcUrl, oracleAddresses, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, limits, upstreamRuntimeRefs, fileStore);
    }

    public CcnConfig withHost(String h) {
        return new CcnConfig(dataDir, h, port, jdbcUrl, oracleAddresses, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, limits, upstreamRuntimeRefs, fileStore);
    }

    public CcnConfig withJdbcUrl(String url) {
        return new CcnConfig(dataDir, host, port, url, oracleAddresses, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, limits, upstreamRuntimeRefs, fileStore);
    }

    public CcnConfig withOracleAddresses(Set<String> oracles) {
        return new CcnConfig(dataDir, host, port, jdbcUrl, oracles, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, limits, upstreamRuntimeRefs, fileStore);
    }

    public CcnConfig withPricingOwner(String owner) {
        return new CcnConfig(dataDir, host, port, jdbcUrl, oracleAddresses, owner, maxFileBytes, maxUnauthenticatedFileBytes, limits, upstreamRuntimeRefs, fileStore);
    }

    public CcnConfig withFileLimits(long authenticated, long unauthenticated) {
        return new CcnConfig(dataDir, host, port, jdbcUrl, oracleAddresses, pricingOwner, authenticated, unauthenticated, limits, upstreamRuntimeRefs, fileStore);
    }

    public CcnConfig withLimits(CcnLimits l) {
        return new CcnConfig(dataDir, host, port, jdbcUrl, oracleAddresses, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, l, upstreamRuntimeRefs, fileStore);
    }

    /** Replaces the upstream runtime refs accepted without a local STORE (empty: none; null: the built-in table). */
    public CcnConfig withUpstreamRuntimeRefs(Set<String> refs) {
        return new CcnConfig(dataDir, host, port, jdbcUrl, oracleAddresses, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, limits, refs, fileStore);
    }

    /** Keeps files in this bucket (null: under the data directory). */
    public CcnConfig withFileStore(S3Location store) {
        return new CcnConfig(dataDir, host, port, jdbcUrl, oracleAddresses, pricingOwner, maxFileBytes, maxUnauthenticatedFileBytes, limits, upstreamRuntimeRefs, store);
    }
}
