package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * The hostile-program attacks under the {@code process} executor run by root: no namespaces, but a
 * user per execution, no capabilities, the seccomp filter, cgroup kills and a size-limited work
 * directory still hold (every test of {@link HostileProgramsContract} runs here too).
 */
class HostileProgramsInProcessTest extends HostileProgramsContract {
    @Override
    String executor() {
        return "process";
    }

    @Test
    void theNodeSaysItsProgramsAreNotIsolatedAndWhatStillHolds() {
        // what an operator and the scheduler read: a node that shares its network and filesystem says so
        JsonNode about = json(Http.get(crn + "/about"));
        assertThat(about.path("executor").asText()).isEqualTo("process");
        assertThat(about.path("executor_isolated").isBoolean()).isTrue();
        assertThat(about.path("executor_isolated").asBoolean()).isFalse();
        assertThat(about.path("executor_details").path("isolation").asText())
                .contains("a user per execution").contains("seccomp").contains("shares the host's filesystem view and network");
    }
}
