/** Executions of programs: lifecycle, the process and sandbox (bubblewrap + network namespace) executors, their out-of-JVM watchdog and cgroup limits. */
package org.aleph4j.crn.execution;
