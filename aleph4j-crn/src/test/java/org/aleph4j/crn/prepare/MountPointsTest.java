package org.aleph4j.crn.prepare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.content.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The mount points of a program's volumes: what a stranger may and may not ask to be mounted where. */
class MountPointsTest {
    private static Volume.Immutable immutable(String mount) {
        return new Volume.Immutable(null, mount, "a".repeat(64), null);
    }

    private static Volume.Ephemeral ephemeral(String mount) {
        return new Volume.Ephemeral(null, mount, true, 10);
    }

    private static Volume.Persistent persistent(String mount, String name) {
        return new Volume.Persistent(null, mount, null, "host", name, 10);
    }

    /** The 422 refusing {@code volumes}, whose message names {@code field} and contains {@code why}. */
    private static void refused(List<Volume> volumes, String field, String why) {
        assertThatThrownBy(() -> MountPoints.of(volumes))
                .isInstanceOfSatisfying(CrnException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.getMessage()).startsWith(field).contains(why);
                    assertThat(e.details()).containsEntry("field", field);
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"/data", "/data/models", "/tmp", "/tmp/cache", "/mnt/x", "/opt/models", "/opt/codex",
            "/var/lib/app", "/home/aleph", "/root", "/srv/a b", "/procfs", "/device", "/users", "/etcetera", "/runner",
            "/library", "/x...", "/.hidden", "/..a", "/données/été", "/a/b/c/d/e/f/g"})
    void plainAbsolutePathsOutsideTheSandboxAreAccepted(String mount) {
        assertThat(MountPoints.of(List.of(immutable(mount)))).containsExactly(mount);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/proc", "/proc/self", "/sys", "/sys/fs/cgroup", "/dev", "/dev/shm", "/usr", "/usr/local/bin",
            "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/lib/x86_64-linux-gnu", "/etc", "/etc/passwd",
            "/opt/code", "/opt/code/x", "/run", "/run/aleph4j-sandbox", "/opt"})
    void theSandboxsOwnPathsAreRefused(String mount) {
        refused(List.of(immutable(mount)), "volumes[0].mount", "which the sandbox owns");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/data/../etc", "/data/./x", "/data/..", "/..", "/.", "/tmp/../../proc", "//etc", "/data//x",
            "/data/", "/mnt/x/", "/opt/code/.."})
    void pathsThatAreNotNormalizedAreRefusedNotRewritten(String mount) {
        refused(List.of(immutable(mount)), "volumes[0].mount", "is not a normalized path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"data", "./data", "../etc", "~/x", " /data", "\\data"})
    void relativePathsAreRefused(String mount) {
        refused(List.of(ephemeral(mount)), "volumes[0].mount", "is not an absolute path");
    }

    @Test
    void theRootIsRefused() {
        refused(List.of(immutable("/")), "volumes[0].mount", "is the sandbox's root");
    }

    @Test
    void controlFormatAndBrokenCharactersAreRefusedAndNeverEchoedRaw() {
        refused(List.of(immutable("/data/a\0b")), "volumes[0].mount", "a NUL character");
        refused(List.of(immutable("/data/a\nb")), "volumes[0].mount", "unprintable character (U+000A)");
        refused(List.of(immutable("/data/\u007f")), "volumes[0].mount", "U+007F");
        refused(List.of(immutable("/data/\u0085")), "volumes[0].mount", "U+0085");
        refused(List.of(immutable("/data/\u202Eetc")), "volumes[0].mount", "U+202E");
        refused(List.of(immutable("/data/\u2028")), "volumes[0].mount", "U+2028");
        refused(List.of(immutable("/data/\uD800x")), "volumes[0].mount", "U+D800");
        refused(List.of(immutable("/data/\uDC00")), "volumes[0].mount", "U+DC00");
        assertThatThrownBy(() -> MountPoints.of(List.of(immutable("/data/\u202Eetc\n"))))
                .isInstanceOfSatisfying(CrnException.class, e -> assertThat(e.getMessage() + e.details())
                        .doesNotContain("\u202E", "\n").contains("\\u202E"));
        // a paired surrogate is one ordinary character
        assertThat(MountPoints.of(List.of(immutable("/data/\uD83D\uDE00")))).containsExactly("/data/\uD83D\uDE00");
    }

    @Test
    void atMost256CharactersAndAtMost32Volumes() {
        String longest = "/" + "a".repeat(255);
        assertThat(MountPoints.of(List.of(immutable(longest)))).containsExactly(longest);
        refused(List.of(immutable(longest + "b")), "volumes[0].mount", "longer than 256 characters");
        // a name of 256 characters (the message schema's bound) gives a 261-character /mnt/<name>
        refused(List.of(persistent(null, "n".repeat(256))), "volumes[0].mount", "(from volumes[0].name)");

        List<Volume> many = new ArrayList<>();
        for (int i = 0; i < 32; i++) many.add(ephemeral("/mnt/v" + i));
        assertThat(MountPoints.of(many)).hasSize(32).contains("/mnt/v0", "/mnt/v31");
        many.add(ephemeral("/mnt/v32"));
        refused(many, "volumes", "at most 32 volumes");
    }

    @Test
    void everyVolumeNeedsAMountPoint() {
        refused(List.of(ephemeral("/a"), immutable(null)), "volumes[1].mount", "an immutable volume needs a mount");
        refused(List.of(ephemeral("")), "volumes[0].mount", "an ephemeral volume needs a mount");
        refused(List.of(persistent(null, null)), "volumes[0].mount", "needs a mount or a name");
        refused(List.of(persistent(" ", "")), "volumes[0].mount", "needs a mount or a name");
        refused(Arrays.asList(ephemeral("/a"), null), "volumes[1]", "is not a volume");
    }

    @Test
    void anUnnamedMountIsUpstreamsMntName() {
        assertThat(MountPoints.of(List.of(persistent(null, "db"), persistent("/data", "ignored"))))
                .containsExactly("/mnt/db", "/data");
        // the name is part of a path: it cannot climb out of /mnt
        refused(List.of(persistent(null, "../etc")), "volumes[0].mount", "(from volumes[0].name)");
        refused(List.of(persistent(null, "../etc")), "volumes[0].mount", "not a normalized path");
    }

    @Test
    void twoVolumesCannotShareAMountPointNorNest() {
        refused(List.of(ephemeral("/mnt/a"), immutable("/mnt/b"), persistent("/mnt/a", "x")), "volumes[2].mount",
                "is also the mount point of volumes[0]");
        // an unnamed persistent volume's /mnt/<name> collides like any other mount point
        refused(List.of(immutable("/mnt/db"), persistent(null, "db")), "volumes[1].mount",
                "is also the mount point of volumes[0]");
        refused(List.of(persistent("/data", "d"), immutable("/data/models")), "volumes[1].mount",
                "is inside volumes[0].mount /data");
        refused(List.of(immutable("/data/models"), persistent("/data", "d")), "volumes[1].mount",
                "holds volumes[0].mount /data/models");
        // siblings sharing a prefix are not nested
        assertThat(MountPoints.of(List.of(immutable("/data/model"), immutable("/data/models"), immutable("/data/model-2"))))
                .containsExactly("/data/model", "/data/models", "/data/model-2");
    }

    @Test
    void noVolumesHaveNoMountPoints() {
        assertThat(MountPoints.of(null)).isEmpty();
        assertThat(MountPoints.of(List.of())).isEmpty();
    }
}
