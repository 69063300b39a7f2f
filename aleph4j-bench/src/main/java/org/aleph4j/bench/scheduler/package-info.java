/** Scenario benchmarks of the scheduler: placement throughput and per-decision latency. Print figures only. */
package org.aleph4j.bench.scheduler;
