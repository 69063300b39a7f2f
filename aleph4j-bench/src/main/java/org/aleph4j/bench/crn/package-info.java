/** CRN scenario benchmarks: cold start and proxy overhead; they print figures, never pass or fail. */
package org.aleph4j.bench.crn;
