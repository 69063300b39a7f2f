package org.aleph4j.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.aleph4j.crn.volumes.S3Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot store as an operator sets it: a flag, ALEPH4J_* variables, the config file. */
class SnapshotStoreSettingTest {
    @TempDir
    Path dir;

    @Test
    void theCcnByDefaultAndABucketFromTheFlagWithKeysFromTheEnvironment() throws Exception {
        assertThat(Roles.snapshotStore(Settings.of(Map.of()))).isNull();
        Settings s = Settings.resolve(null, Map.of("ALEPH4J_SNAPSHOT_STORE_ACCESS_KEY", "AK", "ALEPH4J_SNAPSHOT_STORE_SECRET_KEY", "SK"),
                Map.of("snapshot-store", "s3://crn-snapshots/eu/?endpoint=http://minio:9000"));
        S3Config c = Roles.snapshotStore(s);
        assertThat(c).isEqualTo(new S3Config("crn-snapshots", "eu/", URI.create("http://minio:9000"), "us-east-1", "AK", "SK"));
    }

    @Test
    void theConfigFileWorksAndABadValueIsOneLineWithoutTheSecret() throws Exception {
        Path file = Files.writeString(dir.resolve("crn.properties"),
                "snapshot-store = s3://snaps/\nsnapshot-store-secret-key = hunter2\nsnapshot-store-access-key = AK\n");
        assertThat(Roles.snapshotStore(Settings.resolve(file, Map.of(), Map.of())).secretKey()).isEqualTo("hunter2");
        Settings bad = Settings.resolve(file, Map.of(), Map.of("snapshot-store", "s3://Snaps/"));
        assertThatThrownBy(() -> Roles.snapshotStore(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("setting snapshot-store must be ccn or s3://").hasMessageNotContaining("hunter2")
                .hasMessageNotContaining("\n");
        Settings half = Settings.resolve(null, Map.of("ALEPH4J_SNAPSHOT_STORE_SECRET_KEY", "hunter2"), Map.of("snapshot-store", "s3://snaps/"));
        assertThatThrownBy(() -> Roles.snapshotStore(half)).hasMessageContaining("both").hasMessageNotContaining("hunter2");
    }
}
