package org.aleph4j.ccn;

/** The upstream list and storage views on PostgreSQL (a fresh schema of the local server). */
class PostgresUpstreamViewsTest extends UpstreamViewsContractTest {
    @Override
    CcnHarness.Backend backend() {
        return CcnHarness.Backend.POSTGRESQL;
    }
}
