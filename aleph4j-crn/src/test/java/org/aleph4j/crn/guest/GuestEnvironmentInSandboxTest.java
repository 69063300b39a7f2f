package org.aleph4j.crn.guest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.message.HostLabels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guest environment under the sandbox: upstream's socket path and host name. */
class GuestEnvironmentInSandboxTest extends GuestEnvironmentTestBase {
    @TempDir
    static Path dir;

    @Override
    Path dir() {
        return dir;
    }

    @Override
    CrnConfig.ExecutorKind executor() {
        return CrnConfig.ExecutorKind.SANDBOX;
    }

    @Override
    void assumeUsable() {
        var support = SandboxExecutor.probe(new Cgroups(Path.of("/sys/fs/cgroup"), "aleph4j"));
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) assertThat(support.usable()).as(support.reason()).isTrue();
        Assumptions.assumeTrue(support.usable(), "this host cannot run the sandbox: " + support.reason());
    }

    @Test
    void theHostNameIsTheBase32OfTheItemHash() throws Exception {
        JsonNode e = env(a);
        assertThat(e.path("hostname").asText()).isEqualTo(HostLabels.label(a));
        assertThat(e.path("etc_hostname").asText()).isEqualTo(HostLabels.label(a));
        assertThat(env(b).path("hostname").asText()).isEqualTo(HostLabels.label(b));
    }
}
