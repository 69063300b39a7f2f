package org.aleph4j.crn.prepare;

import java.nio.file.Path;
import org.aleph4j.crn.runtime.LocalRuntime;

/**
 * A program ready to start: its code unpacked in {@code codeDir} (read by executions, never written),
 * the STORE item hash the code came from ({@code codeRef}, after use_latest resolution) and its runtime.
 */
public record PreparedProgram(ProgramInfo program, Path codeDir, String codeRef, String codeFileHash, LocalRuntime runtime) {}
