package org.aleph4j.message.content;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ResourcesComputeUnitsTest {

    @Test
    void upstreamDefaultsTakeOneComputeUnit() {
        assertThat(new Resources(null, null, null, null).computeUnits()).isEqualTo(1);
    }

    @Test
    void memoryRoundsUpToWholeUnitsAndVcpusSetAFloor() {
        assertThat(new Resources(1, 2048, 1, null).computeUnits()).isEqualTo(1);
        assertThat(new Resources(1, 2049, 1, null).computeUnits()).isEqualTo(2);
        assertThat(new Resources(4, 2048, 1, null).computeUnits()).isEqualTo(4);
        assertThat(new Resources(2, 8192, 1, null).computeUnits(4096)).isEqualTo(2);
        assertThat(new Resources(1, 8193, 1, null).computeUnits(4096)).isEqualTo(3);
    }

    @Test
    void aNonPositiveUnitSizeIsRefused() {
        assertThatThrownBy(() -> new Resources(1, 128, 1, null).computeUnits(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property
    void unitsCoverBothTheVcpusAndTheMemoryAndNoMore(@ForAll @IntRange(min = 1, max = 256) int vcpus,
            @ForAll @IntRange(min = 1, max = 1_048_576) int memory, @ForAll @IntRange(min = 1, max = 65_536) int perUnit) {
        int cu = new Resources(vcpus, memory, 1, null).computeUnits(perUnit);
        assertThat(cu).isGreaterThanOrEqualTo(vcpus);
        assertThat((long) cu * perUnit).isGreaterThanOrEqualTo(memory);
        // Minimal: one unit fewer would fall short of the vCPUs or of the memory.
        assertThat(cu - 1 < vcpus || (long) (cu - 1) * perUnit < memory).isTrue();
    }

    @Property
    void theDefaultIsTwoGibibytesPerUnit(@ForAll @IntRange(min = 1, max = 256) int vcpus,
            @ForAll @IntRange(min = 1, max = 1_048_576) int memory) {
        Resources r = new Resources(vcpus, memory, 1, null);
        assertThat(r.computeUnits()).isEqualTo(r.computeUnits(2048));
    }
}
