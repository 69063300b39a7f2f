package org.aleph4j.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real SQLite file: migrated before use, durable when asked, and closed again when a migration fails. */
class SqlStoreTest {
    @TempDir
    Path dir;

    static String pragma(SqlStore.Opened db, String name) throws Exception {
        try (Connection c = db.dataSource().getConnection(); ResultSet r = c.createStatement().executeQuery("PRAGMA " + name)) {
            r.next();
            return r.getString(1);
        }
    }

    @Test
    void aDurableSqliteStoreIsMigratedInWalModeWithFullSync() throws Exception {
        Path migrations = Files.createDirectories(dir.resolve("db"));
        Files.writeString(migrations.resolve("V1__t.sql"), "CREATE TABLE t (x INTEGER);\n");
        try (SqlStore.Opened db = SqlStore.open(null, dir.resolve("s.sqlite"),
                new SqlStore.Settings("t", 2, 2, Duration.ofSeconds(5), true, true),
                (dialect, flyway) -> flyway.locations("filesystem:" + migrations))) {
            assertThat(db.dialect()).isEqualTo(SqlStore.Dialect.SQLITE);
            assertThat(pragma(db, "journal_mode")).isEqualToIgnoringCase("wal");
            assertThat(pragma(db, "synchronous")).isEqualTo("2"); // FULL
            assertThat(pragma(db, "foreign_keys")).isEqualTo("1");
            try (Connection c = db.dataSource().getConnection()) {
                assertThat(c.createStatement().executeUpdate("INSERT INTO t VALUES (1)")).isEqualTo(1);
            }
        }
        assertThat(dir.resolve("s.sqlite")).exists();
    }

    @Test
    void aStoreThatIsNotDurableSyncsNormally() throws Exception {
        try (SqlStore.Opened db = SqlStore.open(null, dir.resolve("n.sqlite"),
                new SqlStore.Settings("n", 2, 2, Duration.ofSeconds(5), false, false),
                (dialect, flyway) -> flyway.locations("filesystem:" + dir.resolve("none")))) {
            assertThat(pragma(db, "synchronous")).isEqualTo("1"); // NORMAL
        }
    }

    @Test
    void aFailingMigrationClosesThePoolAndSaysWhy() throws Exception {
        Path migrations = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(migrations.resolve("V1__bad.sql"), "CREATE TABLE (;\n");
        assertThatThrownBy(() -> SqlStore.open(null, dir.resolve("b.sqlite"),
                new SqlStore.Settings("b", 2, 2, Duration.ofSeconds(5), false, false),
                (dialect, flyway) -> flyway.locations("filesystem:" + migrations)))
                .hasMessageContaining("V1__bad");
    }

    @Test
    void theDialectFollowsTheJdbcUrl() {
        assertThat(SqlStore.Dialect.of("jdbc:postgresql://127.0.0.1:5432/test")).isEqualTo(SqlStore.Dialect.POSTGRESQL);
        assertThat(SqlStore.Dialect.of("jdbc:sqlite:/tmp/x")).isEqualTo(SqlStore.Dialect.SQLITE);
    }
}
