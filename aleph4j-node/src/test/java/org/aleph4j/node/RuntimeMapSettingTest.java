package org.aleph4j.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.aleph4j.crn.runtime.RuntimeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRN's runtime map as an operator sets it: nothing, the config file, a flag. */
class RuntimeMapSettingTest {
    static final String DEBIAN_11 = "bd79839bf96e595a06da5ac0b6ba51dea6f7e2591bb913deccded04d831d29f4";
    @TempDir
    Path dir;

    @Test
    void upstreamsRuntimesByDefaultAndTheConfigFileReplacesTheTable() throws Exception {
        assertThat(Roles.crn(Settings.of(Map.of()), dir).runtimeMap()).isEqualTo(RuntimeMap.defaults());
        Path file = Files.writeString(dir.resolve("crn.properties"),
                "upstream-runtimes = false\nruntime-map = " + DEBIAN_11 + "=/usr/bin/python3\n");

        RuntimeMap map = Roles.crn(Settings.resolve(file, Map.of(), Map.of()), dir).runtimeMap();

        assertThat(map.upstream()).isFalse();
        assertThat(map.entries()).containsExactly(new RuntimeMap.Entry(DEBIAN_11, Path.of("/usr/bin/python3")));
        RuntimeMap off = Roles.crn(Settings.resolve(null, Map.of(), Map.of("runtime-map", DEBIAN_11 + "=off")), dir).runtimeMap();
        assertThat(off.upstream()).isTrue();
        assertThat(off.entries()).containsExactly(new RuntimeMap.Entry(DEBIAN_11, null));
    }
}
