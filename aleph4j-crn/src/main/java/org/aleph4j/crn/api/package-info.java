/** The node's own HTTP API: /about, executions, usage, self-check, owner-authenticated logs, and the error mapper. */
package org.aleph4j.crn.api;
