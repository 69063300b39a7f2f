package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/** vCPUs, memory (MiB) and the per-request time bound in seconds, with upstream's defaults. */
@JsonPropertyOrder({"vcpus", "memory", "seconds", "published_ports"})
public record Resources(Integer vcpus, Integer memory, Integer seconds, JsonNode publishedPorts) {
    public Resources {
        vcpus = vcpus == null ? 1 : vcpus;
        memory = memory == null ? 128 : memory;
        seconds = seconds == null ? 1 : seconds;
        publishedPorts = publishedPorts == null || publishedPorts.isNull() ? null
                : Shapes.eachOf(Shapes.PUBLISHED_PORT).apply(publishedPorts);
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
