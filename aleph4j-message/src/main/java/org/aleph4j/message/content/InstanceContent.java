package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * INSTANCE content: a long-running VM booted from a root filesystem. aleph4j stores and prices
 * instances but does not run them; {@code environment} and {@code rootfs} are kept as JSON.
 */
@JsonPropertyOrder({"address", "time", "allow_amend", "metadata", "authorized_keys", "variables", "environment",
        "resources", "payment", "requirements", "volumes", "replaces", "rootfs"})
public record InstanceContent(String address, double time, Boolean allowAmend, JsonNode metadata,
                              List<String> authorizedKeys, Map<String, String> variables, JsonNode environment,
                              Resources resources, Payment payment, JsonNode requirements, List<Volume> volumes,
                              String replaces, JsonNode rootfs) implements Content {
    public InstanceContent {
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
    }

    @Override
    public List<String> problems() {
        Checks c = new Checks().address(address).time(time).required("allow_amend", allowAmend)
                .required("environment", environment).required("resources", resources).required("rootfs", rootfs)
                .maxSize("volumes", volumes, 256);
        if (resources != null) c.add(resources.problems());
        for (int i = 0; i < volumes.size(); i++) c.add(Volume.problems(i, volumes.get(i)));
        return c.done();
    }
}
