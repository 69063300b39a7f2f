package org.aleph4j.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lease timing and scheduler URLs as an operator sets them: flags, ALEPH4J_* variables, a profile. */
class LeaseTimingTest {
    @Test
    void theFastProfileSetsAllThreeAndAnExplicitKeyStillWins() throws Exception {
        Settings fast = Settings.resolve(null, Map.of("ALEPH4J_PROFILE", "fast"), Map.of());
        assertThat(Roles.LeaseTiming.of(fast)).isEqualTo(
                new Roles.LeaseTiming(Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofMillis(500)));
        Settings overridden = Settings.resolve(null, Map.of("ALEPH4J_PROFILE", "fast"), Map.of("lease-ttl", "2s"));
        assertThat(Roles.LeaseTiming.of(overridden).leaseTtl()).isEqualTo(Duration.ofSeconds(2));
        assertThat(Roles.LeaseTiming.of(Settings.of(Map.of()))).isEqualTo(
                new Roles.LeaseTiming(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(2)));
    }

    @Test
    void anUnknownProfileIsRefusedWithTheChoices() {
        assertThatThrownBy(() -> Roles.LeaseTiming.of(Settings.of(Map.of("profile", "turbo"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("setting profile must be defaults or fast, got 'turbo'");
    }

    @Test
    void schedulerUrlsAreCommaSeparatedAndEachIsChecked() {
        assertThat(Settings.of(Map.of("scheduler-url", "http://a:4030, http://b:4030")).uris("scheduler-url"))
                .containsExactly(URI.create("http://a:4030"), URI.create("http://b:4030"));
        assertThat(Settings.of(Map.of()).uris("scheduler-url")).isEqualTo(List.of());
        assertThatThrownBy(() -> Settings.of(Map.of("scheduler-url", "http://a:4030,nonsense")).uris("scheduler-url"))
                .hasMessage("setting scheduler-url must be a URL like http://127.0.0.1:4024, got 'nonsense'");
    }
}
