package org.aleph4j.client.scheduler;

/**
 * How a CRN runs programs, as it reports it in heartbeats and the scheduler shows it in its node
 * registry: the executor's {@code name} ({@code sandbox}, {@code process}, ...), whether it isolates
 * programs from the host and from each other ({@code isolated}: true for {@code sandbox}, false for
 * {@code process}), and whether it can mount volumes ({@code volumes}: size-limited ephemeral and
 * persistent volumes with snapshots, and immutable ones). A node that reports nothing is treated as
 * not isolating and without volumes.
 */
public record ExecutorInfo(String name, boolean isolated, boolean volumes) {
    /** The executor of a node that did not report one: unknown, so not isolating. */
    public static final ExecutorInfo UNKNOWN = new ExecutorInfo(null, false, false);

    /** An executor that mounts no volumes. */
    public ExecutorInfo(String name, boolean isolated) {
        this(name, isolated, false);
    }
}
