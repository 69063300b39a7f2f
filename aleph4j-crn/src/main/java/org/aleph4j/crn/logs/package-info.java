/** Per-program stdout/stderr log files and reading them back as upstream's log entries. */
package org.aleph4j.crn.logs;
