package org.aleph4j.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import org.junit.jupiter.api.Assumptions;

/** The PostgreSQL the tests use: 127.0.0.1:5432, database {@code test}, user {@code postgres}, trust auth. */
public final class Postgres {
    public static final String URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    private Postgres() {}

    /**
     * Aborts the calling test when PostgreSQL is not reachable, or fails it when
     * {@code ALEPH4J_REQUIRE_POSTGRES=1} (as CI sets it: a missing database never silently skips).
     */
    public static void require() {
        try (Connection c = DriverManager.getConnection(URL)) {
            if (!c.isValid(2)) throw new IllegalStateException("connection not valid");
        } catch (Exception e) {
            if ("1".equals(System.getenv("ALEPH4J_REQUIRE_POSTGRES"))) {
                throw new AssertionError("ALEPH4J_REQUIRE_POSTGRES=1 but PostgreSQL at 127.0.0.1:5432 is not reachable", e);
            }
            Assumptions.abort("PostgreSQL at 127.0.0.1:5432 (database test, user postgres) is not reachable: " + e.getMessage());
        }
    }
}
