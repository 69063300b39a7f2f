package org.aleph4j.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRN's warm pool as an operator sets it: 2 by default, 0 turns it off, nonsense is refused with the setting's name. */
class WarmPoolSettingTest {
    @TempDir
    Path dir;

    @Test
    void twoSlotsByDefaultZeroTurnsThePoolOffAndABadValueIsRefused() throws Exception {
        assertThat(Roles.crn(Settings.of(Map.of()), dir).warmPool()).isEqualTo(2);
        assertThat(Roles.crn(Settings.resolve(null, Map.of(), Map.of("warm-pool", "0")), dir).warmPool()).isZero();
        assertThat(Roles.crn(Settings.resolve(null, Map.of(), Map.of("warm-pool", "5")), dir).warmPool()).isEqualTo(5);
        for (String bad : new String[] {"-1", "65", "many"}) {
            assertThatThrownBy(() -> Roles.crn(Settings.resolve(null, Map.of(), Map.of("warm-pool", bad)), dir))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("warm-pool");
        }
    }
}
