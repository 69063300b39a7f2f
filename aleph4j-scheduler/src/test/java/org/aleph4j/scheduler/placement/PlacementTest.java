package org.aleph4j.scheduler.placement;

import com.fasterxml.jackson.databind.JsonNode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PlacementTest {
    static final String RT = "runtime-a";

    static NodeCandidate node(String address, int vcpus, long mem) {
        return new NodeCandidate(address, "hash-" + address, "http://" + address + ".example", vcpus, mem, Set.of(RT));
    }

    @Test
    void programsSpreadAcrossNodes() {
        List<NodeCandidate> nodes = List.of(node("0xa", 4, 8192), node("0xb", 4, 8192));
        List<ProgramDemand> programs = List.of(new ProgramDemand("p1", 1, 2048, RT), new ProgramDemand("p2", 1, 2048, RT));
        Plan plan = Placement.plan(nodes, programs, Map.of());
        assertThat(plan.assignments()).extracting(Plan.Assignment::nodeAddress).containsExactlyInAnyOrder("0xa", "0xb");
    }

    @Test
    void existingAllocationsCountAgainstCapacity() {
        List<NodeCandidate> nodes = List.of(node("0xa", 2, 4096), node("0xb", 1, 1024));
        List<ProgramDemand> programs = List.of(new ProgramDemand("old", 2, 4096, RT), new ProgramDemand("new", 1, 2048, RT));
        Plan plan = Placement.plan(nodes, programs, Map.of("old", "0xa"));
        assertThat(plan.assignments()).isEmpty();
        assertThat(plan.unschedulable().get("new")).contains("insufficient free capacity");
    }

    @Test
    void aProgramThatFitsNowhereIsUnschedulableWithTheReasonAndPlacedWhenCapacityAppears() {
        ProgramDemand big = new ProgramDemand("big", 8, 16384, RT);
        Plan none = Placement.plan(List.of(node("0xa", 4, 8192)), List.of(big), Map.of());
        assertThat(none.unschedulable()).containsEntry("big", "no node is large enough: needs 8 vCPU and 16384 MiB");
        Plan later = Placement.plan(List.of(node("0xa", 4, 8192), node("0xb", 16, 65536)), List.of(big), Map.of());
        assertThat(later.assignments()).containsExactly(new Plan.Assignment("big", "0xb"));
    }

    @Test
    void theRuntimeMustBeSupported() {
        Plan plan = Placement.plan(List.of(node("0xa", 4, 8192)), List.of(new ProgramDemand("p", 1, 128, "other")), Map.of());
        assertThat(plan.unschedulable().get("p")).isEqualTo("no active node supports runtime other");
    }

    @Test
    void nodeRequirementsPinAProgram() throws Exception {
        JsonNode req = Json.MAPPER.readTree("{\"node\":{\"node_hash\":\"hash-0xb\"}}");
        ProgramDemand p = new ProgramDemand("p", 1, 128, RT, NodeRequirements.from(req), Set.of());
        Plan plan = Placement.plan(List.of(node("0xa", 4, 8192), node("0xb", 4, 8192)), List.of(p), Map.of());
        assertThat(plan.assignments()).containsExactly(new Plan.Assignment("p", "0xb"));
        JsonNode regex = Json.MAPPER.readTree("{\"node\":{\"address_regex\":\"0xa\\\\.example\"}}");
        ProgramDemand q = new ProgramDemand("q", 1, 128, RT, NodeRequirements.from(regex), Set.of());
        assertThat(Placement.plan(List.of(node("0xa", 4, 8192), node("0xb", 4, 8192)), List.of(q), Map.of()).assignments())
                .containsExactly(new Plan.Assignment("q", "0xa"));
    }

    @Test
    void avoidedNodesAreSkipped() {
        ProgramDemand p = new ProgramDemand("p", 1, 128, RT, NodeRequirements.NONE, Set.of("0xa"));
        Plan plan = Placement.plan(List.of(node("0xa", 4, 8192), node("0xb", 1, 256)), List.of(p), Map.of());
        assertThat(plan.assignments()).containsExactly(new Plan.Assignment("p", "0xb"));
    }

    static NodeCandidate node(String address, int vcpus, long mem, String executor, boolean isolated) {
        return new NodeCandidate(address, "hash-" + address, "http://" + address + ".example", vcpus, mem, Set.of(RT),
                executor, isolated);
    }

    static ProgramDemand isolatedDemand(String item) {
        return new ProgramDemand(item, 1, 128, RT, NodeRequirements.NONE, Set.of(), true);
    }

    @Test
    void aProgramRequiringIsolationSkipsANodeThatDoesNotIsolateEvenWhenItIsEmptier() {
        List<NodeCandidate> nodes = List.of(node("0xa", 16, 65536, "process", false), node("0xb", 1, 256, "sandbox", true));
        Plan plan = Placement.plan(nodes, List.of(isolatedDemand("p")), Map.of());
        assertThat(plan.assignments()).containsExactly(new Plan.Assignment("p", "0xb"));
    }

    @Test
    void whenNoNodeIsolatesTheProgramIsUnschedulableWithTheReason() {
        List<NodeCandidate> nodes = List.of(node("0xa", 4, 8192, "process", false), node("0xb", 4, 8192));
        Plan plan = Placement.plan(nodes, List.of(isolatedDemand("p")), Map.of());
        assertThat(plan.assignments()).isEmpty();
        assertThat(plan.unschedulable()).containsEntry("p", "no active node isolates programs: require-isolation is on "
                + "and the matching nodes run an unknown executor, process (run them with the sandbox executor)");
    }

    @Test
    void aProgramNotRequiringIsolationMayGoToAProcessNode() {
        ProgramDemand p = new ProgramDemand("p", 1, 128, RT, NodeRequirements.NONE, Set.of(), false);
        Plan plan = Placement.plan(List.of(node("0xa", 4, 8192, "process", false)), List.of(p), Map.of());
        assertThat(plan.assignments()).containsExactly(new Plan.Assignment("p", "0xa"));
    }

    @Test
    void runtimeAndRequirementReasonsComeBeforeTheIsolationReason() {
        Plan plan = Placement.plan(List.of(node("0xa", 4, 8192, "process", false)),
                List.of(new ProgramDemand("p", 1, 128, "other", NodeRequirements.NONE, Set.of(), true)), Map.of());
        assertThat(plan.unschedulable().get("p")).isEqualTo("no active node supports runtime other");
    }

    @Property(tries = 100)
    void aProgramRequiringIsolationIsNeverAssignedToANodeThatDoesNotIsolate(
            @ForAll @IntRange(min = 1, max = 12) int nodeCount, @ForAll @IntRange(min = 0, max = 60) int programCount,
            @ForAll @IntRange(min = 0, max = 12) int isolatingMask) {
        List<NodeCandidate> nodes = new ArrayList<>();
        Map<String, Boolean> isolates = new HashMap<>();
        for (int i = 0; i < nodeCount; i++) {
            boolean iso = ((isolatingMask >> (i % 4)) & 1) == 1;
            nodes.add(node("0x" + i, 1 + (i % 4), 1024L * (1 + (i % 8)), iso ? "sandbox" : "process", iso));
            isolates.put("0x" + i, iso);
        }
        List<ProgramDemand> programs = new ArrayList<>();
        Map<String, ProgramDemand> byHash = new HashMap<>();
        for (int i = 0; i < programCount; i++) {
            ProgramDemand p = new ProgramDemand("p" + i, 1, 256, RT, NodeRequirements.NONE, Set.of(), i % 3 != 0);
            programs.add(p);
            byHash.put(p.itemHash(), p);
        }
        Plan plan = Placement.plan(nodes, programs, Map.of());
        for (Plan.Assignment a : plan.assignments()) {
            if (byHash.get(a.itemHash()).requireIsolation()) assertThat(isolates.get(a.nodeAddress())).isTrue();
        }
        assertThat(plan.assignments().size() + plan.unschedulable().size()).isEqualTo(programCount);
    }

    @Property(tries = 100)
    void noNodeIsEverOvercommittedAndEachProgramIsPlacedAtMostOnce(@ForAll @IntRange(min = 1, max = 20) int nodeCount,
                                                                   @ForAll @IntRange(min = 0, max = 120) int programCount,
                                                                   @ForAll @IntRange(min = 1, max = 4) int vcpus) {
        List<NodeCandidate> nodes = new ArrayList<>();
        for (int i = 0; i < nodeCount; i++) nodes.add(node("0x" + i, 1 + (i % 8), 1024L * (1 + (i % 16))));
        List<ProgramDemand> programs = new ArrayList<>();
        for (int i = 0; i < programCount; i++) programs.add(new ProgramDemand("p" + i, 1 + (i % vcpus), 256L * (1 + i % 5), RT));
        Plan plan = Placement.plan(nodes, programs, Map.of());
        Map<String, long[]> used = new HashMap<>();
        Map<String, ProgramDemand> byHash = new HashMap<>();
        programs.forEach(p -> byHash.put(p.itemHash(), p));
        for (Plan.Assignment a : plan.assignments()) {
            long[] u = used.computeIfAbsent(a.nodeAddress(), k -> new long[2]);
            u[0] += byHash.get(a.itemHash()).vcpus();
            u[1] += byHash.get(a.itemHash()).memoryMib();
        }
        for (NodeCandidate n : nodes) {
            long[] u = used.getOrDefault(n.address(), new long[2]);
            assertThat(u[0]).isLessThanOrEqualTo(n.vcpus());
            assertThat(u[1]).isLessThanOrEqualTo(n.memoryMib());
        }
        assertThat(plan.assignments().size() + plan.unschedulable().size()).isEqualTo(programCount);
        assertThat(plan.assignments().stream().map(Plan.Assignment::itemHash).distinct().count())
                .isEqualTo(plan.assignments().size());
    }
}
