package org.aleph4j.cli;

import org.aleph4j.cli.account.AccountCommand;
import org.aleph4j.cli.aggregate.AggregateCommand;
import org.aleph4j.cli.file.FileCommand;
import org.aleph4j.cli.message.MessageCommand;
import org.aleph4j.cli.program.ProgramCommand;
import org.aleph4j.cli.program.PersistenceCommand.Unpersist;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.account.AccountStore;
import org.aleph4j.client.crn.CrnClient;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.message.Json;
import picocli.CommandLine;
import picocli.CommandLine.UnmatchedArgumentException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** The {@code aleph} command: upstream aleph-client's command names on top of aleph4j-client. */
@Command(name = "aleph", mixinStandardHelpOptions = true, version = "aleph4j 0.1.0",
        description = "Keys, files, messages and programs on an aleph4j (aleph.im-compatible) network.",
        subcommands = {AccountCommand.class, ProgramCommand.class, MessageCommand.class, FileCommand.class, AggregateCommand.class,
                AlephCli.TopLevelUnpersist.class})
public final class AlephCli implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return CommandLine.ExitCode.USAGE;
    }

    /** {@code aleph unpersist HASH}: the tutorial's (legacy) top-level spelling of {@code aleph program unpersist}. */
    @Command(name = "unpersist", description = "Stop the persistent execution of a program (same as `aleph program unpersist`).")
    public static final class TopLevelUnpersist extends Unpersist {
        public TopLevelUnpersist(Ctx ctx) {
            super(ctx);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err, System.getenv(), InstantSource.system()));
    }

    /** Runs one command line; returns the exit code (0 ok, 1 failure, 2 bad usage). Used by tests in-process. */
    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        return run(args, out, err, env, InstantSource.system());
    }

    public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env, InstantSource clock) {
        return run(args, InputStream.nullInputStream(), out, err, env, clock);
    }

    /** As {@link #run(String[], PrintStream, PrintStream, Map)} with {@code in} as standard input. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err, Map<String, String> env, InstantSource clock) {
        Ctx ctx = new Ctx(in, out, err, env, clock);
        CommandLine cl = commandLine(ctx);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            String help = c.getCommandSpec().qualifiedName() + " --help";
            String line = usageError(ex) + " — see `" + help + "`";
            if (wantsJson(a)) {
                ObjectNode details = JsonNodeFactory.instance.objectNode().put("help", help);
                if (ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                    details.putArray("suggestions").add(u.getSuggestions().get(0));
                }
                err.println(Json.write(OutputFormat.error(line, CommandLine.ExitCode.USAGE, details)));
            } else {
                err.println("Error: " + line);
            }
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            int exit = ex instanceof CliException ce ? ce.exitCode() : CommandLine.ExitCode.SOFTWARE;
            if (c.getCommand() instanceof BaseCommand b && b.jsonOutput()) {
                ObjectNode d = details(ex, c);
                if (!b.pendingWarnings().isEmpty()) b.pendingWarnings().forEach(d.putArray("warnings")::add);
                err.println(Json.write(OutputFormat.error(describe(ex, c), errorCode(ex, exit), d)));
            } else {
                err.println("Error: " + describe(ex, c));
            }
            err.flush();
            return exit;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The command tree, its help laid out ({@link CommandHelp}), writing to {@code ctx}'s streams; no handlers. */
    static CommandLine commandLine(Ctx ctx) {
        CommandLine cl = new CommandLine(new AlephCli(), new Factory(ctx));
        cl.setOut(new PrintWriter(ctx.out(), true));
        cl.setErr(new PrintWriter(ctx.err(), true));
        CommandHelp.apply(cl);
        return cl;
    }

    /** One line that says what went wrong and what to do. */
    static String describe(Exception ex, CommandLine c) {
        return switch (ex) {
            case CliException e -> e.getMessage();
            case CcnException e when e.isUnreachable() -> "cannot reach the CCN at " + root(e.url()) + ": " + reason(e)
                    + " — start a devnet with `bin/aleph-node devnet` or pass --ccn-url";
            case CcnException e -> "the CCN refused the request: " + e.getMessage()
                    + (e.errorCode() == null ? "" : " [error_code " + e.errorCode() + "]");
            case CrnClient.CrnException e when e.httpStatus() == 0 -> e.getMessage() + " — pass --crn-url";
            case CrnClient.CrnException e -> "the CRN answered HTTP " + e.httpStatus() + ": " + e.getMessage();
            case AccountStore.NoAccountException e -> e.getMessage();
            case FileAlreadyExistsException e -> e.getFile() + " already exists — pass --replace to overwrite it";
            case NoSuchFileException e -> "no such file: " + e.getFile();
            case IOException e -> e.getMessage();
            case IllegalArgumentException e -> e.getMessage() + " — see `" + c.getCommandSpec().qualifiedName() + " --help`";
            default -> ex.toString() + " (this is a bug in aleph4j; please report it)";
        };
    }

    /**
     * One line for a command line picocli cannot parse: an unknown command or option names the
     * nearest one, as {@code git} does.
     */
    static String usageError(CommandLine.ParameterException ex) {
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            List<String> suggestions = u.getSuggestions();
            String hint = suggestions.isEmpty() ? "" : "; did you mean '" + suggestions.get(0) + "'?";
            if (u.isUnknownOption()) {
                int eq = arg.indexOf('=');
                return "unknown option '" + (eq > 0 ? arg.substring(0, eq) : arg) + "'" + hint;
            }
            if (!u.getCommandLine().getSubcommands().isEmpty()) return "unknown command '" + arg + "'" + hint;
            return "unexpected argument '" + arg + "'";
        }
        return ex.getMessage();
    }

    /** {@code --json} anywhere before {@code --}: the error is then JSON too. */
    private static boolean wantsJson(String[] args) {
        for (String a : args) {
            if (a.equals("--")) return false;
            if (a.equals("--json")) return true;
        }
        return false;
    }

    /** The {@code error_code} of a {@code --json} error: the node's code when it gave one, else the exit code. */
    static int errorCode(Exception ex, int exit) {
        return switch (ex) {
            case CliException e -> e.errorCode();
            case CcnException e when e.errorCode() != null -> e.errorCode();
            default -> exit;
        };
    }

    /** The {@code details} of a {@code --json} error: what the node said, where, and the help to read. */
    static ObjectNode details(Exception ex, CommandLine c) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        switch (ex) {
            case CliException e when e.details() instanceof ObjectNode o -> d.setAll(o);
            case CliException e when e.details() != null -> d.set("details", e.details());
            case CcnException e -> {
                d.put("url", e.url() == null ? null : e.url().toString());
                d.put("http_status", e.httpStatus());
                if (e.details() instanceof ObjectNode o) d.setAll(o);
                else if (e.details() != null) d.set("details", e.details());
            }
            case CrnClient.CrnException e -> d.put("http_status", e.httpStatus());
            case IllegalArgumentException e -> d.put("help", c.getCommandSpec().qualifiedName() + " --help");
            default -> { }
        }
        if (ex instanceof CliException e && e.exitCode() == CommandLine.ExitCode.USAGE && !d.has("help")) {
            d.put("help", c.getCommandSpec().qualifiedName() + " --help");
        }
        return d;
    }

    private static String root(URI u) {
        if (u == null) return "?";
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
    }

    private static String reason(CcnException e) {
        String m = e.getMessage();
        int i = m.lastIndexOf(": ");
        return i < 0 ? m : m.substring(i + 2);
    }

    /** Gives commands their invocation context through a {@code (Ctx)} constructor. */
    private record Factory(Ctx ctx) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            try {
                return cls.getDeclaredConstructor(Ctx.class).newInstance(ctx);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(cls);
            }
        }
    }
}
