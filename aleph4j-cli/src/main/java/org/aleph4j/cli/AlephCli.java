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
import picocli.CommandLine;
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
        CommandLine cl = new CommandLine(new AlephCli(), new Factory(ctx));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            err.println("Error: " + ex.getMessage() + " — see `" + c.getCommandSpec().qualifiedName() + " --help`");
            err.flush();
            return CommandLine.ExitCode.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            err.println("Error: " + describe(ex, c));
            err.flush();
            return ex instanceof CliException ce ? ce.exitCode() : CommandLine.ExitCode.SOFTWARE;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
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
