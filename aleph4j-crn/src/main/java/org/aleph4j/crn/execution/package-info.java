/** Executions of programs: lifecycle, the process executor, its out-of-JVM watchdog and cgroup limits. */
package org.aleph4j.crn.execution;
