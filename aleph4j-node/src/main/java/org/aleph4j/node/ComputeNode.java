package org.aleph4j.node;

import java.net.URI;
import java.time.Duration;
import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.Ticker;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.lease.LeaseKeeper;
import org.aleph4j.crn.lease.SchedulerLeaseDirectory;
import org.aleph4j.message.EthAccount;

/**
 * A CRN with, when a scheduler is configured, its lease keeper: the CRN runs programs, the keeper
 * heartbeats the scheduler and holds the leases of the persistent ones. Closing drains: persistent
 * programs are stopped and released so the scheduler moves them at once.
 */
public final class ComputeNode implements AutoCloseable {
    static final String VERSION = "aleph4j 0.1.0";
    private final CrnNode crn;
    private final LeaseKeeper keeper;
    private final EthAccount nodeKey;

    private ComputeNode(CrnNode crn, LeaseKeeper keeper, EthAccount nodeKey) {
        this.crn = crn;
        this.keeper = keeper;
        this.nodeKey = nodeKey;
    }

    /** Starts a CRN; {@code schedulerUrl} null means on-demand programs only. */
    public static ComputeNode start(CrnConfig config, URI schedulerUrl, EthAccount nodeKey, Duration heartbeat) {
        if (schedulerUrl == null) {
            CrnNode crn = new CrnNode(config, LeaseDirectory.NONE).start();
            return new ComputeNode(crn, null, nodeKey);
        }
        SchedulerClient scheduler = new SchedulerClient(schedulerUrl);
        CrnNode crn = new CrnNode(config, new SchedulerLeaseDirectory(scheduler)).start();
        try {
            CrnConfig.Capacity c = crn.config().capacity();
            Capacity capacity = new Capacity(c.vcpus(), c.memoryMiB(), c.diskMiB());
            LeaseKeeper keeper = new LeaseKeeper(scheduler, crn.persistentHost(), nodeKey, crn.url(),
                    () -> new LeaseKeeper.Offer(capacity, crn.supportedRuntimes(), VERSION,
                            new ExecutorInfo(crn.executorName(), crn.executorIsolates())), heartbeat, Ticker.system());
            keeper.start();
            return new ComputeNode(crn, keeper, nodeKey);
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
        return keeper != null;
    }

    @Override
    public void close() {
        try {
            // Hand persistent programs back at once rather than letting their leases lapse.
            if (keeper != null) keeper.drain();
        } finally {
            crn.close();
        }
    }

    @Override
    public String toString() {
        return "CRN " + crn.url();
    }
}
