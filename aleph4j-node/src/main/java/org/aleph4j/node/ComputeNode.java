package org.aleph4j.node;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDecisions;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.volumes.S3Config;
import org.aleph4j.message.EthAccount;

/**
 * A CRN as the launcher runs it: with, when a scheduler is configured, leases of persistent
 * programs (the CRN wires its own lease keeper). Closing drains.
 */
public final class ComputeNode implements AutoCloseable {
    static final String VERSION = "aleph4j 0.1.0";
    private final CrnNode crn;
    private final EthAccount nodeKey;

    private ComputeNode(CrnNode crn, EthAccount nodeKey) {
        this.crn = crn;
        this.nodeKey = nodeKey;
    }

    /**
     * Starts a CRN; no scheduler URL means on-demand programs only, otherwise {@code trust} names the
     * scheduler keys whose answers it believes and the longest lease it honours.
     */
    public static ComputeNode start(CrnConfig config, List<URI> schedulerUrls, LeaseDecisions.Trust trust, EthAccount nodeKey,
                                    Duration heartbeat) {
        return start(config, schedulerUrls, trust, nodeKey, heartbeat, CrnNode.DEFAULT_SNAPSHOT_INTERVAL);
    }

    /** With the interval at which persistent volumes are snapshotted while their program runs. */
    public static ComputeNode start(CrnConfig config, List<URI> schedulerUrls, LeaseDecisions.Trust trust, EthAccount nodeKey,
                                    Duration heartbeat, Duration snapshotInterval) {
        return start(config, schedulerUrls, trust, nodeKey, heartbeat, snapshotInterval, null);
    }

    /** With where the snapshots go: {@code snapshotStore}'s S3 bucket, or the CCN's file store when it is null. */
    public static ComputeNode start(CrnConfig config, List<URI> schedulerUrls, LeaseDecisions.Trust trust, EthAccount nodeKey,
                                    Duration heartbeat, Duration snapshotInterval, S3Config snapshotStore) {
        CrnNode crn = schedulerUrls.isEmpty() ? new CrnNode(config, LeaseDirectory.NONE)
                : new CrnNode(config, new CrnNode.Leasing(schedulerUrls, nodeKey, heartbeat, VERSION, trust, snapshotInterval,
                        snapshotStore));
        try {
            return new ComputeNode(crn.start(), nodeKey);
        } catch (RuntimeException e) {
            crn.close();
            throw e;
        }
    }

    public URI url() {
        return crn.url();
    }

    public String nodeAddress() {
        return nodeKey.address();
    }

    /** The executor running programs here: {@code process} or {@code sandbox}. */
    public String executor() {
        return crn.executorName();
    }

    public boolean leased() {
        return crn.leased();
    }

    @Override
    public void close() {
        crn.close();
    }

    @Override
    public String toString() {
        return "CRN " + crn.url();
    }
}
