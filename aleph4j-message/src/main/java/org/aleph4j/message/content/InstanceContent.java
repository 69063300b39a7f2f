package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.aleph4j.message.ItemHashes;

/**
 * INSTANCE content: a long-running VM booted from a root filesystem. aleph4j stores and prices
 * instances but does not run them; {@code environment}, {@code rootfs} and {@code requirements}
 * are kept as JSON, put into upstream's full-dump shape (model key order, defaults such as
 * {@code environment.internet=false} and {@code rootfs.parent.use_latest=true}, no nulls).
 */
@JsonPropertyOrder({"address", "time", "allow_amend", "metadata", "authorized_keys", "variables", "environment",
        "resources", "payment", "requirements", "volumes", "replaces", "rootfs"})
public record InstanceContent(String address, double time, Boolean allowAmend, JsonNode metadata,
                              List<String> authorizedKeys, Map<String, String> variables, JsonNode environment,
                              Resources resources, Payment payment, JsonNode requirements, List<Volume> volumes,
                              String replaces, JsonNode rootfs) implements Content {
    public InstanceContent {
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        environment = Shapes.shape(environment, Shapes.INSTANCE_ENVIRONMENT);
        rootfs = Shapes.shape(rootfs, Shapes.ROOTFS);
        requirements = Shapes.shape(requirements, Shapes.REQUIREMENTS);
    }

    /** The root filesystem size in MiB, or 0 when absent. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public long rootfsSizeMib() {
        return rootfs == null ? 0 : rootfs.path("size_mib").asLong(0);
    }

    @Override
    public List<String> problems() {
        Checks c = new Checks().address(address).time(time).required("allow_amend", allowAmend)
                .required("environment", environment).required("resources", resources).required("rootfs", rootfs)
                .maxSize("authorized_keys", authorizedKeys, 256).maxSize("variables", variables, 256)
                .maxSize("volumes", volumes, 256).maxLen("replaces", replaces, 128)
                .check(environment == null || environment.isObject(), "environment must be an object")
                .check(requirements == null || requirements.isObject(), "requirements must be an object");
        if (environment != null && environment.isObject()) {
            JsonNode h = environment.get("hypervisor");
            c.check(h == null || h.isTextual() && (h.asText().equals("qemu") || h.asText().equals("firecracker")),
                    "environment.hypervisor must be qemu or firecracker");
        }
        if (rootfs != null) {
            JsonNode ref = rootfs.path("parent").path("ref");
            JsonNode size = rootfs.path("size_mib");
            String persistence = rootfs.path("persistence").asText(null);
            c.check(rootfs.isObject(), "rootfs must be an object")
                    .check(ref.isTextual() && ItemHashes.isItemHash(ref.asText()), "rootfs.parent.ref must be an item hash")
                    .check(size.isIntegralNumber() && size.asLong() >= 0 && size.asLong() <= 1_953_125,
                            "rootfs.size_mib must be an integer in 0..1953125")
                    .check("host".equals(persistence) || "store".equals(persistence), "rootfs.persistence must be host or store");
        }
        if (resources != null) c.add(resources.problems());
        if (variables != null) {
            variables.forEach((k, v) -> c.maxLen("variables key", k, 128).maxLen("variables." + k, v, 4096));
        }
        for (int i = 0; i < volumes.size(); i++) c.add(Volume.problems(i, volumes.get(i)));
        return c.done();
    }
}
