package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;

/**
 * A command failed in a way the user can fix; the message is printed as one line on stderr (under
 * {@code --json}, as {@code {"error", "error_code", "details"}} with this exception's code and details).
 */
public class CliException extends RuntimeException {
    /** Upstream's error code of a message rejected for insufficient balance (reference §5.2). */
    public static final int INSUFFICIENT_BALANCE = 5;

    private final int exitCode;
    private final Integer errorCode;
    private final JsonNode details;

    public CliException(String message) {
        this(message, CommandLine.ExitCode.SOFTWARE);
    }

    public CliException(String message, int exitCode) {
        this(message, exitCode, null, null);
    }

    /**
     * @param errorCode the {@code error_code} of the {@code --json} error (a node's code when it gave one); null: the exit code
     * @param details   the {@code details} of the {@code --json} error, or null
     */
    public CliException(String message, int exitCode, Integer errorCode, JsonNode details) {
        super(message);
        this.exitCode = exitCode;
        this.errorCode = errorCode;
        this.details = details;
    }

    /** Bad usage (arguments the command cannot work with): picocli's usage exit code. */
    public static CliException usage(String message) {
        return new CliException(message, CommandLine.ExitCode.USAGE);
    }

    /**
     * Upstream's insufficient-funds error (reference §4.1), exit 1; under {@code --json} its code is
     * upstream's 5 and its details the address and the two amounts as decimal strings.
     */
    public static CliException insufficientFunds(String address, String available, String required, String ccnUrl) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.put("address", address);
        d.put("available", OutputFormat.amount(available));
        d.put("required", OutputFormat.amount(required));
        String ccn = ccnUrl.endsWith("/") ? ccnUrl.substring(0, ccnUrl.length() - 1) : ccnUrl;
        return new CliException("Program creation failed due to insufficient funds: " + address + " has " + OutputFormat.amount(available)
                + " ALEPH but needs " + OutputFormat.amount(required) + " ALEPH — on a devnet: bin/aleph-node fund --ccn-url " + ccn
                + " --oracle-key ~/.aleph4j/devnet/oracle.key " + address, CommandLine.ExitCode.SOFTWARE, INSUFFICIENT_BALANCE, d);
    }

    public int exitCode() {
        return exitCode;
    }

    /** The {@code error_code} of the {@code --json} error: the node's code when there was one, else the exit code. */
    public int errorCode() {
        return errorCode != null ? errorCode : exitCode;
    }

    /** The {@code details} of the {@code --json} error, or null. */
    public JsonNode details() {
        return details;
    }
}
