package org.aleph4j.message.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UpstreamRuntimesTest {
    @Test
    void upstreamDefaultIsTheRefItsClientNames() {
        assertThat(UpstreamRuntimes.upstreamDefault().ref()).isEqualTo("63f07193e6ee9d207b7d1fcf8286f9aee34e6f12f101d2ec77c1229f92964696");
        assertThat(UpstreamRuntimes.upstreamDefault().name()).isEqualTo("aleph-debian-12-python");
        assertThat(UpstreamRuntimes.find(DefaultRuntime.ref())).isEmpty();
        assertThat(UpstreamRuntimes.builtIn()).extracting(UpstreamRuntimes.Runtime::ref).doesNotHaveDuplicates();
    }

    @Test
    void entriesAreChecked() {
        assertThatThrownBy(() -> new UpstreamRuntimes.Runtime("63f0", "x", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new UpstreamRuntimes.Runtime("a".repeat(64), " ", "")).isInstanceOf(IllegalArgumentException.class);
    }
}
