package org.aleph4j.crn.runtime;

import java.nio.file.Path;

/** A runtime this node can run programs on: its ref, a name, and the interpreter serving ASGI apps. */
public record LocalRuntime(String ref, String name, Path python) {}
