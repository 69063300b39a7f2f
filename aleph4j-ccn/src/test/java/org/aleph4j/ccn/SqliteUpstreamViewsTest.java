package org.aleph4j.ccn;

/** The upstream list and storage views on the embedded SQLite backend. */
class SqliteUpstreamViewsTest extends UpstreamViewsContractTest {
    @Override
    CcnHarness.Backend backend() {
        return CcnHarness.Backend.SQLITE;
    }
}
