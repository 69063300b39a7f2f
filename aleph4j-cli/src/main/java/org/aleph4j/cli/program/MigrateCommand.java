package org.aleph4j.cli.program;

import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.scheduler.MigrateReply;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.message.EthAccount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.util.regex.Pattern;

/**
 * {@code aleph program migrate}: the owner asks the scheduler ({@code POST /api/v1/vms/{hash}/migrate},
 * signed with the owner's key) to move a persistent program. The node holding it stops it, takes a
 * last snapshot of its persistent volumes and lets it go; the scheduler places it again, on
 * {@code --to} when given, and the new node restores the volumes. The scheduler decides and says
 * why not (unknown program, not the owner, not allocated or already moving, bad target).
 */
@Command(name = "migrate", description = "Ask the scheduler to move a persistent program (and its volumes) to another node.")
public final class MigrateCommand extends BaseCommand {
    private static final Pattern NODE_HASH = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern ADDRESS = Pattern.compile("0x[0-9a-fA-F]{40}");

    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Option(names = "--to", paramLabel = "NODE", description = "Node hash or 0x address to move it to (default: any other node).")
    String to;

    @Mixin
    SchedulerOption scheduler;

    public MigrateCommand(Ctx ctx) {
        super(ctx);
    }

    @Override
    protected int execute() throws IOException {
        requireHash(hash, "program hash");
        if (to != null && !NODE_HASH.matcher(to).matches() && !ADDRESS.matcher(to).matches()) {
            throw CliException.usage("--to '" + to + "' is neither a node hash (64 hex characters) nor a 0x address");
        }
        EthAccount owner = account();
        URI url = scheduler.url(settings());
        MigrateReply reply;
        try {
            reply = scheduler.client(settings(), timeoutSeconds, ctx.clock()).migrate(owner, hash, to);
        } catch (SchedulerException e) {
            throw new CliException("cannot migrate " + hash + ": " + SchedulerOption.failure(url, e).getMessage());
        }
        if (json) printJson(reply);
        else ctx.out().println(line(reply, hash));
        return 0;
    }

    /** What the human output says about an accepted migration of {@code hash}. */
    static String line(MigrateReply r, String hash) {
        String vm = r.vmHash() == null ? hash : r.vmHash();
        return "migrating " + vm + " from " + (r.fromNode() == null ? "its current node" : "node " + r.fromNode())
                + " to " + (r.target() == null ? "another node" : "node " + r.target())
                + "; follow with: aleph program status " + vm;
    }
}
