package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.scheduler.MigrateReply;
import org.aleph4j.client.scheduler.MoveRecord;
import org.aleph4j.client.scheduler.SnapshotRef;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.client.scheduler.VolumeInfo;
import org.aleph4j.client.scheduler.VolumeInfo.RestoreRecord;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The human and JSON output of {@code aleph program status} and {@code migrate} for a scheduler's answer with volumes. */
class StatusViewTest {
    static final String VM = "11".repeat(32);
    static final String NODE_A = "aa".repeat(32);
    static final String NODE_B = "bb".repeat(32);
    static final double T0 = 1_767_225_600.0; // 2026-01-01T00:00:00Z
    static final Instant NOW = Instant.ofEpochSecond((long) T0 + 1000);

    static VmInfo vmWithVolumes() {
        SnapshotRef last = new SnapshotRef(4, 3L, 2, false, 1_572_864, List.of("cc".repeat(32)), T0 + 997, "0xNodeB");
        VolumeInfo data = new VolumeInfo("dd".repeat(32), "data", "/data", 100, last, List.of(
                new RestoreRecord(T0, "0xNodeA", NODE_A, 1, null),
                new RestoreRecord(T0 + 600, "0xNodeB", NODE_B, 2, 3L)));
        VolumeInfo unnamed = new VolumeInfo("ee".repeat(32), null, "/state", 5, null, List.of());
        return new VmInfo(VM, "program", "0xOwner", "allocated", "migrating", NODE_B, "0xNodeB", "http://crn-b:4041/",
                2L, T0 + 600, NODE_A, null, List.of(new MoveRecord(T0 + 600, NODE_A, NODE_B, 2L, "node lost")),
                List.of(data, unnamed));
    }

    @Test
    void persistentStatusShowsTheMigrationTargetAndEachVolumeWithItsLastSnapshotAndRestores() {
        List<String> lines = StatusView.persistent(VM, vmWithVolumes(), null, Map.of(NODE_B, "http://crn-b:4041"), NOW);
        assertThat(lines).containsExactly(
                "State:     allocated (migrating)",
                "Node:      0xNodeB",
                "URL:       http://crn-b:4041/vm/" + VM,
                "Epoch:     2",
                "Since:     2026-01-01T00:10:00Z",
                "Moving to: node " + NODE_A,
                "History:",
                "  2026-01-01T00:10:00Z  epoch 2  on http://crn-b:4041  node lost",
                "Volumes:",
                "  data  mount /data, 100 MiB",
                "    last snapshot: seq 4 (delta of seq 3), epoch 2, 3 s ago, 1.5 MiB, node 0xNodeB",
                "    restores:",
                "      2026-01-01T00:00:00Z  node " + NODE_A + "  epoch 1  started empty",
                "      2026-01-01T00:10:00Z  node " + NODE_B + "  epoch 2  restored seq 3",
                "  /state  mount /state, 5 MiB",
                "    last snapshot: none yet",
                "    restores: none");
    }

    @Test
    void aProgramWithoutVolumesOrMigrationShowsNeither() {
        VmInfo plain = new VmInfo(VM, "program", "0xOwner", "allocated", "scheduled", NODE_B, "0xNodeB", null,
                1L, T0, null, null, List.of(), null);
        assertThat(StatusView.persistent(VM, plain, null, Map.of(), NOW))
                .noneMatch(l -> l.startsWith("Moving to") || l.startsWith("Volumes") || l.startsWith("History"))
                .contains("URL:       -");
    }

    @Test
    void aCrashLoopingProgramShowsItsLastErrorUnderItsState() {
        VmInfo looping = new VmInfo(VM, "program", "0xOwner", "allocated", "scheduled", NODE_B, "0xNodeB", "http://crn-b:4041",
                3L, T0, null, null, List.of(new MoveRecord(T0, NODE_A, NODE_B, 3L, "crash loop on " + NODE_A)), List.of(),
                "crash loop on " + NODE_A + ": program exited at start (exited with code 1): Error loading ASGI app.\n"
                        + "Attribute \"ap\" not found in module \"main\".");
        List<String> lines = StatusView.persistent(VM, looping, null, Map.of(), NOW);
        assertThat(lines.subList(0, 2)).containsExactly(
                "State:     allocated (scheduled)",
                "Last error: crash loop on " + NODE_A + ": program exited at start (exited with code 1): Error loading ASGI app. | "
                        + "Attribute \"ap\" not found in module \"main\".");
    }

    @Test
    void anUnschedulableProgramSaysWhyAndARemovedOneToo() {
        VmInfo tooBig = new VmInfo(VM, "program", "0xOwner", "pending", "unschedulable", null, null, null,
                null, null, null, "no node is large enough: needs 15 vCPU and 30000 MiB", List.of(), List.of(), null);
        assertThat(StatusView.persistent(VM, tooBig, null, Map.of(), NOW)).startsWith(
                "State:     pending (unschedulable)",
                "Reason:    no node is large enough: needs 15 vCPU and 30000 MiB",
                "Node:      -");
        VmInfo removed = new VmInfo(VM, "program", "0xOwner", "removed", "removed", null, null, null,
                null, null, null, "program forgotten", List.of(), List.of(), null);
        assertThat(StatusView.persistent(VM, removed, null, Map.of(), NOW)).contains("Reason:    program forgotten");
        JsonNode o = StatusCommand.json(VM, "processed", true, tooBig, null, null);
        assertThat(o.path("state").asText()).isEqualTo("pending");
        assertThat(o.path("scheduling_status").asText()).isEqualTo("unschedulable");
        assertThat(o.path("reason").asText()).isEqualTo("no node is large enough: needs 15 vCPU and 30000 MiB");
        assertThat(o.path("vm").path("reason").asText()).isEqualTo(o.path("reason").asText());
        assertThat(o.has("last_error")).isFalse();
    }

    @Test
    void agesAndSizesAreShortAndReadable() {
        assertThat(StatusView.age(T0 + 997, NOW)).isEqualTo("3 s ago");
        assertThat(StatusView.age(T0 + 1005, NOW)).isEqualTo("0 s ago"); // a node clock ahead of ours
        assertThat(StatusView.age(T0 + 1000 - 300, NOW)).isEqualTo("5 min ago");
        assertThat(StatusView.age(T0 + 1000 - 3 * 3600, NOW)).isEqualTo("3 h ago");
        assertThat(StatusView.age(T0 + 1000 - 5 * 3600, NOW)).isEqualTo("5 h ago");
        assertThat(StatusView.age(T0 + 1000 - 3 * 86400, NOW)).isEqualTo("3 d ago");
        assertThat(StatusView.bytes(0)).isEqualTo("0 B");
        assertThat(StatusView.bytes(1023)).isEqualTo("1023 B");
        assertThat(StatusView.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(StatusView.bytes(3L << 30)).isEqualTo("3.0 GiB");
    }

    @Test
    void jsonStatusCarriesTheVolumesAsTheSchedulerGaveThem() {
        JsonNode o = StatusCommand.json(VM, "processed", true, vmWithVolumes(), null, null);
        JsonNode vm = o.path("vm");
        assertThat(vm.path("migration_target").asText()).isEqualTo(NODE_A);
        JsonNode data = vm.path("volumes").get(0);
        assertThat(data.path("name").asText()).isEqualTo("data");
        assertThat(data.path("size_mib").asInt()).isEqualTo(100);
        assertThat(data.path("last_snapshot").path("seq").asLong()).isEqualTo(4);
        assertThat(data.path("last_snapshot").path("bytes").asLong()).isEqualTo(1_572_864);
        assertThat(data.path("restores")).hasSize(2);
        assertThat(data.path("restores").get(0).has("seq")).isFalse();
        assertThat(data.path("restores").get(1).path("seq").asLong()).isEqualTo(3);
        assertThat(vm.path("volumes").get(1).has("last_snapshot")).isFalse();
        assertThat(o.has("vm_url")).isFalse();
    }

    @Test
    void migrateSaysFromWhereToWhereAndHowToFollow() {
        assertThat(MigrateCommand.line(new MigrateReply(VM, "migrating", NODE_B, NODE_A), VM))
                .isEqualTo("migrating " + VM + " from node " + NODE_B + " to node " + NODE_A
                        + "; follow with: aleph program status " + VM);
        assertThat(MigrateCommand.line(new MigrateReply(VM, "migrating", NODE_B, null), VM))
                .isEqualTo("migrating " + VM + " from node " + NODE_B + " to another node; follow with: aleph program status " + VM);
    }
}
