package org.aleph4j.ccn;

/** The contract suite on the embedded SQLite backend. */
class SqliteCcnTest extends CcnContractTest {
    @Override
    CcnHarness.Backend backend() {
        return CcnHarness.Backend.SQLITE;
    }
}
