package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.Replacements;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.ProgramContent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.List;

/**
 * persist / unpersist: a new PROGRAM with on.persistent flipped that replaces the old one (reference
 * §4.3), or, when the old one is itself a replacement (the CCN refuses to replace those), a new
 * PROGRAM without {@code replaces}. Either way the old one is then forgotten with the reason
 * {@code "Program unpersisted: replaced by <new>"}, which is how the CLI and the CRN name the
 * replacement of a forgotten program ({@link Replacements}).
 */
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
        // The CCN refuses to replace a replacement (error_code 303, upstream's rule): a program that
        // itself replaced another is followed by a new program instead, and then forgotten as usual.
        boolean replaceable = p.content().replaces() == null;
        // A replacement keeps the old time, as upstream's. A new program is sent now: with the old time,
        // flipping back would rebuild an older program's content, and so its (forgotten) item hash.
        ProgramContent next = replaceable ? p.content().withPersistence(target, hash)
                : p.content().withPersistence(target, null).withTime(ctx.now());
        AlephMessage msg = sign(account, MessageType.PROGRAM, next, p.message().channel(), ctx.now());
        FundsCheck funds = new FundsCheck(ccn(), ctx.err());
        // a new program holds its price while the old one still holds its own, until the FORGET
        if (replaceable) funds.beforeReplacement(msg, hash, account.address());
        else funds.beforeUpload(msg, account.address());
        PostResult r = postOrFail(msg, "the new program");
        boolean deleted = false;
        String forgetNote = null;
        if (!keepPrev) {
            AlephMessage f = forget(account, List.of(hash), Replacements.forgetReason(target, msg.itemHash()),
                    p.message().channel());
            MessageRecord fr = ccn().message(f.itemHash()).orElse(null);
            deleted = fr != null && !fr.rejected();
            if (!deleted) forgetNote = "the FORGET of " + hash + " was " + (fr == null ? "lost" : "rejected (error_code " + fr.errorCode() + ")");
        }
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("item_hash", msg.itemHash());
            o.put("status", r.messageStatus());
            if (replaceable) o.put("replaces", hash);
            else o.putNull("replaces");
            o.put("previous_program", hash);
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
