package org.aleph4j.ccn;

/** The contract suite on PostgreSQL (127.0.0.1:5432, database test), in a schema of its own. */
class PostgresCcnTest extends CcnContractTest {
    @Override
    CcnHarness.Backend backend() {
        return CcnHarness.Backend.POSTGRESQL;
    }
}
