package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class HostLabelsTest {
    @Test
    void labelOfAKnownHashMatchesUpstreamsForm() {
        // The CLI printed this pair for a real program (base32 of the raw bytes, lowercase, unpadded).
        assertThat(HostLabels.label("2f27c920b2c7e677ee7412dd0f2c393f0ede740ca84bb23e6cc41ad920026f6a"))
                .isEqualTo("f4t4sifsy7thp3tucloq6lbzh4hn45amvbf3eptmyqnnsiacn5va");
    }

    @Property
    void labelsRoundTrip(@ForAll @Size(32) byte[] bytes) {
        String hash = HexFormat.of().formatHex(bytes);
        String label = HostLabels.label(hash);
        assertThat(label).hasSize(52).matches("[a-z2-7]+");
        assertThat(HostLabels.itemHash(label)).isEqualTo(hash);
        assertThat(HostLabels.itemHash(label.toUpperCase())).isEqualTo(hash);
    }

    @Test
    void whatIsNotTheBase32OfAHashIsRefused() {
        assertThat(HostLabels.itemHash("www")).isNull();
        assertThat(HostLabels.itemHash("f4t4sifsy7thp3tucloq6lbzh4hn45amvbf3eptmyqnnsiacn5v1")).isNull();
        assertThat(HostLabels.itemHash("f4t4sifsy7thp3tucloq6lbzh4hn45amvbf3eptmyqnnsiacn5vb")).isNull();
    }
}
