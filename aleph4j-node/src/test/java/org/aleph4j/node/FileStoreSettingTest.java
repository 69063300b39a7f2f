package org.aleph4j.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.aleph4j.ccn.files.S3Location;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CCN's file store as an operator sets it: a flag, ALEPH4J_* variables, the config file. */
class FileStoreSettingTest {
    @TempDir
    Path dir;

    @Test
    void localByDefaultAndABucketFromTheFlagWithKeysFromTheEnvironment() throws Exception {
        assertThat(Roles.fileStore(Settings.of(Map.of()))).isNull();
        assertThat(Roles.ccn(Settings.of(Map.of()), dir).fileStore()).isNull();
        Settings s = Settings.resolve(null, Map.of("ALEPH4J_FILE_STORE_ACCESS_KEY", "AK", "ALEPH4J_FILE_STORE_SECRET_KEY", "SK"),
                Map.of("file-store", "s3://ccn-files/eu/?endpoint=http://minio:9000", "file-store-timeout", "3s"));
        S3Location c = Roles.fileStore(s);
        assertThat(c).isEqualTo(new S3Location("ccn-files", "eu/", URI.create("http://minio:9000"), "us-east-1", "AK", "SK",
                Duration.ofSeconds(3)));
        assertThat(Roles.ccn(s, dir).fileStore()).isEqualTo(c);
    }

    @Test
    void theConfigFileWorksAndABadValueIsOneLineWithoutTheSecret() throws Exception {
        Path file = Files.writeString(dir.resolve("ccn.properties"),
                "file-store = s3://files/\nfile-store-secret-key = hunter2\nfile-store-access-key = AK\n");
        assertThat(Roles.fileStore(Settings.resolve(file, Map.of(), Map.of())).secretKey()).isEqualTo("hunter2");
        Settings bad = Settings.resolve(file, Map.of(), Map.of("file-store", "s3://Files/"));
        assertThatThrownBy(() -> Roles.fileStore(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("setting file-store must be local or s3://").hasMessageNotContaining("hunter2")
                .hasMessageNotContaining("\n");
        Settings half = Settings.resolve(null, Map.of("ALEPH4J_FILE_STORE_SECRET_KEY", "hunter2"), Map.of("file-store", "s3://files/"));
        assertThatThrownBy(() -> Roles.fileStore(half)).hasMessageContaining("both").hasMessageNotContaining("hunter2");
    }
}
