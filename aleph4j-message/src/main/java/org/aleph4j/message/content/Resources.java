package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * vCPUs, memory (MiB) and the per-request time bound in seconds, with upstream's defaults.
 *
 * <p>{@link #computeUnits(int)} is the one place that turns these into compute units; the CCN prices with it
 * and the client derives resources with it.
 */
@JsonPropertyOrder({"vcpus", "memory", "seconds", "published_ports"})
public record Resources(Integer vcpus, Integer memory, Integer seconds, JsonNode publishedPorts) {
    public Resources {
        vcpus = vcpus == null ? 1 : vcpus;
        memory = memory == null ? 128 : memory;
        seconds = seconds == null ? 1 : seconds;
        publishedPorts = publishedPorts == null || publishedPorts.isNull() ? null
                : Shapes.eachOf(Shapes.PUBLISHED_PORT).apply(publishedPorts);
    }

    /** Memory in one compute unit on this network's default products (upstream {@code compute_unit.memory_mib}). */
    public static final int DEFAULT_MEMORY_MIB_PER_UNIT = 2048;

    /**
     * Compute units these resources take when one unit holds {@code memoryMibPerUnit} MiB:
     * {@code max(vcpus, ceil(memory / memoryMibPerUnit))}, as upstream prices them (reference §5.5).
     *
     * @throws IllegalArgumentException if {@code memoryMibPerUnit} is not positive
     */
    public int computeUnits(int memoryMibPerUnit) {
        if (memoryMibPerUnit <= 0) throw new IllegalArgumentException("memoryMibPerUnit must be positive: " + memoryMibPerUnit);
        return Math.max(vcpus, Math.ceilDiv(memory, memoryMibPerUnit));
    }

    /** Compute units with the default {@value #DEFAULT_MEMORY_MIB_PER_UNIT} MiB per unit. */
    public int computeUnits() {
        return computeUnits(DEFAULT_MEMORY_MIB_PER_UNIT);
    }

    List<String> problems() {
        return new Checks().range("resources.vcpus", vcpus, 1, 256).range("resources.memory", memory, 1, 1_048_576)
                .range("resources.seconds", seconds, 1, 315_360_000)
                .check(publishedPorts == null || publishedPorts.isArray(), "resources.published_ports must be a list")
                .check(publishedPorts == null || !publishedPorts.isArray() || portsValid(publishedPorts),
                        "resources.published_ports entries need a port in 1..65535 and protocol tcp or udp")
                .done();
    }

    private static boolean portsValid(JsonNode ports) {
        for (JsonNode p : ports) {
            JsonNode port = p.path("port");
            String protocol = p.path("protocol").asText("");
            if (!port.isInt() || port.asInt() < 1 || port.asInt() > 65535) return false;
            if (!protocol.equals("tcp") && !protocol.equals("udp")) return false;
        }
        return true;
    }
}
