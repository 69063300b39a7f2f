package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.PostResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.ProgramContent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.List;

/** persist / unpersist: a new PROGRAM with on.persistent flipped that replaces the old one (reference §4.3). */
public abstract class PersistenceCommand extends ReachingCommand {
    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Option(names = "--keep-prev", description = "Do not forget the previous program message.")
    boolean keepPrev;

    private final boolean target;

    PersistenceCommand(Ctx ctx, boolean target) {
        super(ctx);
        this.target = target;
    }

    @Override
    protected int execute() throws IOException {
        requireHash(hash, "program hash");
        EthAccount account = account();
        OwnedProgram p = ownedProgram(hash, account);
        if (p.content().allowAmend() == null || !p.content().allowAmend()) {
            throw new CliException("program " + hash + " is not updatable (allow_amend is false), so it cannot be "
                    + (target ? "persisted" : "unpersisted") + " — delete it and upload it again with --updatable");
        }
        if (p.content().isPersistent() == target) {
            throw new CliException("program " + hash + " is already " + (target ? "persistent" : "not persistent"));
        }
        ProgramContent next = p.content().withPersistence(target, hash);
        AlephMessage msg = sign(account, MessageType.PROGRAM, next, p.message().channel(), ctx.now());
        new FundsCheck(ccn(), ctx.err()).beforeReplacement(msg, hash, account.address());
        PostResult r = postOrFail(msg, "the new program");
        boolean deleted = false;
        String forgetNote = null;
        if (!keepPrev) {
            AlephMessage f = forget(account, List.of(hash), target ? "Program persisted" : "Program unpersisted",
                    p.message().channel());
            MessageRecord fr = ccn().message(f.itemHash()).orElse(null);
            deleted = fr != null && !fr.rejected();
            if (!deleted) forgetNote = "the FORGET of " + hash + " was " + (fr == null ? "lost" : "rejected (error_code " + fr.errorCode() + ")");
        }
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("item_hash", msg.itemHash());
            o.put("status", r.messageStatus());
            o.put("replaces", hash);
            o.put("persistent", target);
            o.put("previous", deleted ? "deleted" : "intact");
            printJson(o);
        } else {
            ctx.out().println("Program " + hash + (target ? " is now persistent." : " is no longer persistent."));
            ctx.out().println("Previous program: " + hash + " -> " + (deleted ? "DELETED" : "INTACT"));
            ctx.out().println("New program:      " + msg.itemHash());
            printUrls(msg.itemHash());
        }
        if (forgetNote != null) warn(forgetNote);
        return 0;
    }

    @Command(name = "persist", description = "Make a program persistent: a new PROGRAM replaces it, the old one is forgotten.")
    public static final class Persist extends PersistenceCommand {
        public Persist(Ctx ctx) {
            super(ctx, true);
        }
    }

    @Command(name = "unpersist", description = "Stop the persistent execution: a new on-demand PROGRAM replaces it, the old one is forgotten.")
    public static class Unpersist extends PersistenceCommand {
        public Unpersist(Ctx ctx) {
            super(ctx, false);
        }
    }
}
