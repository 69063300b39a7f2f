/**
 * Executions of programs: their lifecycle (on demand, persistent under leases), how they are
 * launched, the process and sandbox (bubblewrap + network namespace + seccomp) executors, their
 * out-of-JVM watchdog, per-execution users, cgroup limits and work directories.
 */
package org.aleph4j.crn.execution;
