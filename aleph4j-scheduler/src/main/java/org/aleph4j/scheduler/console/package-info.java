/**
 * The web console: static pages under {@code /console/} and the JSON, logs and event-stream endpoints
 * under {@code /api/v1/console/} that show the network, where every program runs and how it moved,
 * read from the scheduler's tables, the CCN and the CRNs (with short timeouts and brief caches).
 */
package org.aleph4j.scheduler.console;
