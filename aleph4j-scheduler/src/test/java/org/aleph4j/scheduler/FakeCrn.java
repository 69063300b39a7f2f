package org.aleph4j.scheduler;

import org.aleph4j.client.scheduler.Capacity;
import org.aleph4j.client.scheduler.ExecutionReport;
import org.aleph4j.client.scheduler.ExecutorInfo;
import org.aleph4j.client.scheduler.HeartbeatAnswer;
import org.aleph4j.client.scheduler.HeartbeatReply;
import org.aleph4j.client.scheduler.LeaseGrant;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.testkit.TestNetwork;

import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A CRN reduced to its heartbeat loop: real key, real signatures, real HTTP through SchedulerClient.
 * Records, per program, the epoch it was last granted and when the answered heartbeat was SENT, and
 * who signed the last answer. It follows the scheduler's incarnation like a CRN does (retrying at once
 * when told a newer one) but trusts any signer: tests assert on {@link #lastSigner}.
 */
final class FakeCrn implements AutoCloseable {
    final EthAccount key = TestNetwork.newAccount();
    final URI publicUrl;
    final SchedulerClient client;
    final Map<String, LeaseGrant> grants = new ConcurrentHashMap<>();
    final Map<String, Long> lastSentNanos = new ConcurrentHashMap<>();
    volatile HeartbeatReply lastReply;
    volatile String lastSigner;
    /** The newest scheduler incarnation seen. */
    volatile long incarnation;
    /** Executions reported in each heartbeat (tests set it to simulate crashes). */
    volatile List<ExecutionReport> executions = List.of();
    /** The executor reported in each heartbeat: an isolating sandbox unless a test says otherwise. */
    volatile ExecutorInfo executor = new ExecutorInfo("sandbox", true);
    volatile Exception lastError;
    private final Duration interval;
    private volatile Thread loop;

    FakeCrn(List<URI> schedulers, Duration interval) {
        this(schedulers, interval, null);
    }

    /** A node that reports {@code publicUrl} (null: an unresolvable {@code .test} name). */
    FakeCrn(List<URI> schedulers, Duration interval, URI publicUrl) {
        this.publicUrl = publicUrl != null ? publicUrl
                : URI.create("http://crn-" + key.address().substring(2, 10).toLowerCase() + ".test:4020");
        this.client = new SchedulerClient(schedulers, Duration.ofSeconds(2), InstantSource.system());
        this.interval = interval;
    }

    String address() {
        return key.address().toLowerCase();
    }

    HeartbeatReply beat() {
        for (int attempt = 0; ; attempt++) {
            long sent = System.nanoTime();
            HeartbeatAnswer answer = client.heartbeat(key, publicUrl, new Capacity(4, 8192, 100_000),
                    List.of(DefaultRuntime.ref()), executions, "test", executor, incarnation);
            lastSigner = answer.signer();
            switch (answer) {
                case HeartbeatAnswer.Granted g -> {
                    record(g.reply(), sent);
                    return g.reply();
                }
                case HeartbeatAnswer.IncarnationChanged c -> {
                    if (attempt > 0 || c.notice().incarnation() <= incarnation) {
                        throw new IllegalStateException("refused twice: " + c.notice());
                    }
                    incarnation = c.notice().incarnation();
                }
            }
        }
    }

    private void record(HeartbeatReply reply, long sent) {
        lastReply = reply;
        incarnation = Math.max(incarnation, reply.incarnation());
        grants.keySet().retainAll(reply.allocations().stream().map(LeaseGrant::itemHash).toList());
        for (LeaseGrant g : reply.allocations()) {
            grants.put(g.itemHash(), g);
            lastSentNanos.put(g.itemHash(), sent);
        }
    }

    FakeCrn start() {
        loop = Thread.ofVirtual().name("fake-crn-" + address()).start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    beat();
                    lastError = null;
                } catch (RuntimeException e) {
                    lastError = e;
                }
                try {
                    Thread.sleep(interval); // the heartbeat period itself, not a wait for a condition
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return this;
    }

    /** Stops heartbeating, like a node that died; returns when the loop has ended. */
    void stop() throws InterruptedException {
        Thread t = loop;
        if (t != null) {
            t.interrupt();
            t.join(5_000);
        }
    }

    boolean holds(String itemHash) {
        return grants.containsKey(itemHash);
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
