package org.aleph4j.crn;

import org.aleph4j.crn.CrnConfig.ExecutorKind;

/**
 * Which executor a CRN runs programs with, decided from the configured kind, what the host supports
 * and whether an unisolated fallback is allowed. Pure: the probe of the host is done by the caller.
 * {@code auto} never silently drops isolation: without {@code allow-unisolated} a host that cannot
 * run the sandbox refuses to start.
 */
public final class ExecutorChoice {
    private ExecutorChoice() {}

    /** What the host offers the sandbox: whether it is usable, and why (not). */
    public record SandboxSupport(boolean usable, String reason) {}

    /** The outcome of {@link #decide}. */
    public sealed interface Decision permits UseSandbox, UseProcess, Refuse {
        /** True when programs run isolated from the host and from each other. */
        default boolean isolates() {
            return this instanceof UseSandbox;
        }
    }

    /** Run programs in the sandbox; {@code reason} says what the probe found. */
    public record UseSandbox(String reason) implements Decision {}

    /**
     * Run programs as plain processes, without isolation. {@code fallbackReason} is null when
     * {@code process} was configured explicitly, else why {@code auto} fell back to it.
     */
    public record UseProcess(String fallbackReason) implements Decision {}

    /** Do not start: {@code error} is one line saying what is wrong and how to fix it. */
    public record Refuse(String error) implements Decision {}

    /**
     * @param kind          the configured executor
     * @param support       the sandbox probe's result; may be null for {@code process} (not probed)
     * @param allowFallback config key {@code allow-unisolated}
     */
    public static Decision decide(ExecutorKind kind, SandboxSupport support, boolean allowFallback) {
        if (kind == ExecutorKind.PROCESS) return new UseProcess(null);
        boolean usable = support != null && support.usable();
        String reason = support == null || support.reason() == null ? "the host was not probed" : support.reason();
        if (usable) return new UseSandbox(reason);
        if (kind == ExecutorKind.SANDBOX) {
            return new Refuse("executor=sandbox is configured but this host cannot run the sandbox (" + reason
                    + "): install bubblewrap and iproute2 and run the CRN as root, or set executor=process to run "
                    + "programs without isolation");
        }
        if (allowFallback) return new UseProcess("the sandbox is unavailable: " + reason);
        return new Refuse("executor=auto found no usable sandbox on this host (" + reason + ") and will not run "
                + "programs without isolation: install bubblewrap and iproute2 and run the CRN as root, or set "
                + "executor=process or allow-unisolated=true to run them unisolated");
    }

    /** Whether the executor called {@code name} (as in /about) isolates programs. */
    public static boolean isolates(String name) {
        return "sandbox".equals(name) || "microvm".equals(name);
    }
}
