/** Scenario benchmarks of the CCN: signed messages accepted per second over HTTP. They print figures and assert nothing. */
package org.aleph4j.bench.ccn;
