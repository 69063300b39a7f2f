package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.Contents;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.Volume;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProgramBuilderTest {
    static final String ADDR = "0x9319Ad3B7A8E0eE24f2E639c40D8eD124C5520Ba";
    static final String CODE = "ab".repeat(32);

    @Test
    void defaultsAreTheCliDefaultsWithOneComputeUnitAndAleph4jRuntime() throws Exception {
        ProgramContent c = new ProgramBuilder(ADDR, CODE, "main:app", Encoding.ZIP).name("hello").time(1700000000.0).build();
        JsonNode j = Json.MAPPER.readTree(Contents.canonical(c));
        assertThat(j.path("allow_amend").asBoolean()).isFalse();
        assertThat(j.path("resources").toString()).isEqualTo("{\"vcpus\":1,\"memory\":2048,\"seconds\":30}");
        assertThat(j.path("environment").toString())
                .isEqualTo("{\"reproducible\":false,\"internet\":false,\"aleph_api\":true,\"shared_cache\":false}");
        assertThat(j.path("payment").toString()).isEqualTo("{\"chain\":\"ETH\",\"type\":\"hold\"}");
        assertThat(j.path("on").toString()).isEqualTo("{\"http\":true,\"persistent\":false}");
        assertThat(j.path("runtime").path("ref").asText()).isEqualTo(DefaultRuntime.ref());
        assertThat(j.path("runtime").path("comment").asText()).isEqualTo(DefaultRuntime.COMMENT);
        assertThat(j.path("code").path("use_latest").asBoolean()).isTrue();
        assertThat(j.path("authorized_keys").isArray()).isTrue();
        assertThat(j.path("volumes").isArray()).isTrue();
        // The content re-validates: it is the full dump CRNs can parse.
        assertThat(Contents.parse(MessageType.PROGRAM, j)).isEqualTo(c);
    }

    @Test
    void persistentProgramsAreAmendableAndResourcesFollowComputeUnits() {
        ProgramContent c = new ProgramBuilder(ADDR, CODE, "main:app", Encoding.SQUASHFS).persistent(true).computeUnits(2).build();
        assertThat(c.allowAmend()).isTrue();
        assertThat(c.resources().vcpus()).isEqualTo(2);
        assertThat(c.resources().memory()).isEqualTo(4096);
        ProgramContent m = new ProgramBuilder(ADDR, CODE, "main:app", Encoding.ZIP).memory(5000).build();
        assertThat(m.resources().vcpus()).as("memory alone keeps 1 vCPU").isEqualTo(1);
        assertThat(m.resources().memory()).isEqualTo(5000);
        ProgramContent both = new ProgramBuilder(ADDR, CODE, "main:app", Encoding.ZIP).computeUnits(4).vcpus(1).memory(30000).build();
        assertThat(both.resources().vcpus()).as("explicit values beat the compute units").isEqualTo(1);
        assertThat(both.resources().memory()).isEqualTo(30000);
        ProgramContent cpus = new ProgramBuilder(ADDR, CODE, "main:app", Encoding.ZIP).vcpus(3).build();
        assertThat(cpus.resources().memory()).as("vCPUs alone take their tier's memory").isEqualTo(6144);
    }

    @Test
    void entrypointsWithoutModuleOrAttributeAreRejected() {
        assertThatThrownBy(() -> ProgramBuilder.checkEntrypoint("main:")).hasMessageContaining("module:app");
        assertThatThrownBy(() -> ProgramBuilder.checkEntrypoint(":app")).hasMessageContaining("module:app");
        ProgramBuilder.checkEntrypoint("run.sh");
    }

    @Test
    void volumeOptionsParseAsUpstreamsCliWrites() {
        assertThat(ProgramBuilder.parseVolume("persistent", "name=data,mount=/opt/data,size_mib=1000"))
                .isEqualTo(new Volume.Persistent(null, "/opt/data", null, "host", "data", 1000));
        assertThat(ProgramBuilder.parseVolume("ephemeral", "mount=/opt/tmp,size_mib=100"))
                .isEqualTo(new Volume.Ephemeral(null, "/opt/tmp", true, 100));
        assertThatThrownBy(() -> ProgramBuilder.parseVolume("ephemeral", "mount=rel,size_mib=1")).hasMessageContaining("absolute");
    }
}
