/** Scenario benchmarks of the CCN: signed messages accepted per second over HTTP, and file store throughput. They print figures and assert nothing. */
package org.aleph4j.bench.ccn;
