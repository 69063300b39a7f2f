package org.aleph4j.crn.runtime;

import java.nio.file.Path;

/**
 * A runtime this node can run programs on: its ref, a name, the interpreter serving ASGI apps, where
 * the ref comes from and what the runtime provides (upstream's description for upstream's runtimes).
 */
public record LocalRuntime(String ref, String name, Path python, Origin origin, String provides) {
    /** Where a runtime ref comes from (reported in /about). */
    public enum Origin {
        /** aleph4j's own {@link org.aleph4j.message.runtime.DefaultRuntime}, published by every CCN. */
        ALEPH4J("aleph4j-default"),
        /** One of upstream aleph.im's official runtimes, mapped to a local interpreter (its STORE is not needed). */
        UPSTREAM("upstream-mapped"),
        /** A ref the operator added with {@code runtime-map}. */
        CONFIGURED("configured");

        private final String value;

        Origin(String value) {
            this.value = value;
        }

        /** The name /about reports. */
        public String value() {
            return value;
        }
    }

    public LocalRuntime {
        origin = origin == null ? Origin.CONFIGURED : origin;
        provides = provides == null ? "" : provides;
    }

    /** aleph4j's own runtime served by {@code python}. */
    public LocalRuntime(String ref, String name, Path python) {
        this(ref, name, python, Origin.ALEPH4J, "Python 3 of this node with uvicorn (ASGI) and any executable (binary)");
    }
}
