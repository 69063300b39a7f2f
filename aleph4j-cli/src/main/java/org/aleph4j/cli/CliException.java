package org.aleph4j.cli;

import picocli.CommandLine;

/** A command failed in a way the user can fix; the message is printed as one line on stderr. */
public class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(String message) {
        this(message, CommandLine.ExitCode.SOFTWARE);
    }

    public CliException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /** Bad usage (arguments the command cannot work with): picocli's usage exit code. */
    public static CliException usage(String message) {
        return new CliException(message, CommandLine.ExitCode.USAGE);
    }

    public int exitCode() {
        return exitCode;
    }
}
