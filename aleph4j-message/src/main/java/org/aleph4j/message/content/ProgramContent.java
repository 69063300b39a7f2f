package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * PROGRAM content ({@code type: "vm-function"}). Defaults are filled in by the constructor, so the
 * serialised form is upstream's "full dump" (reference §1.7) that CRNs can re-validate.
 */
@JsonPropertyOrder({"address", "time", "allow_amend", "metadata", "authorized_keys", "variables", "environment",
        "resources", "payment", "requirements", "volumes", "replaces", "type", "code", "runtime", "data", "export", "on"})
public record ProgramContent(String address, double time, Boolean allowAmend, JsonNode metadata,
                             List<String> authorizedKeys, Map<String, String> variables, Environment environment,
                             Resources resources, Payment payment, JsonNode requirements, List<Volume> volumes,
                             String replaces, String type, CodeContent code, Runtime runtime, DataContent data,
                             Export export, Triggers on) implements Content {
    public static final String TYPE = "vm-function";

    public ProgramContent {
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        requirements = Shapes.shape(requirements, Shapes.REQUIREMENTS);
    }

    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isPersistent() {
        return on != null && on.isPersistent();
    }

    /** Payment type, {@code hold} when absent (as upstream's CCN treats it). */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public String paymentType() {
        return payment == null || payment.type() == null ? "hold" : payment.type();
    }

    /** A copy with {@code on.persistent} set and {@code replaces} pointing at {@code replaced}. */
    /** This content sent at {@code newTime} (seconds): a new message, never the item hash of an older one. */
    public ProgramContent withTime(double newTime) {
        return new ProgramContent(address, newTime, allowAmend, metadata, authorizedKeys, variables, environment, resources,
                payment, requirements, volumes, replaces, type, code, runtime, data, export, on);
    }

    public ProgramContent withPersistence(boolean persistent, String replaced) {
        return new ProgramContent(address, time, allowAmend, metadata, authorizedKeys, variables, environment, resources,
                payment, requirements, volumes, replaced, type, code, runtime, data, export, on.withPersistent(persistent));
    }

    @Override
    public List<String> problems() {
        Checks c = new Checks().address(address).time(time)
                .required("allow_amend", allowAmend).required("environment", environment).required("resources", resources)
                .required("code", code).required("runtime", runtime).required("on", on).required("type", type)
                .check(type == null || TYPE.equals(type), "type must be \"vm-function\", got \"" + type + "\"")
                .check(on == null || on.http() != null, "field required: on.http")
                .maxSize("authorized_keys", authorizedKeys, 256).maxSize("variables", variables, 256)
                .maxSize("volumes", volumes, 256).maxLen("replaces", replaces, 128);
        if (metadata != null && metadata.isObject()) c.check(metadata.size() <= 256, "metadata has more than 256 entries");
        if (variables != null) {
            variables.forEach((k, v) -> c.maxLen("variables key", k, 128).maxLen("variables." + k, v, 4096));
        }
        if (resources != null) c.add(resources.problems());
        if (code != null) c.add(code.problems());
        if (runtime != null) c.add(runtime.problems());
        if (data != null) c.itemHash("data.ref", data.ref());
        for (int i = 0; i < volumes.size(); i++) c.add(Volume.problems(i, volumes.get(i)));
        return c.done();
    }
}
