package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.List;

/** {@code aleph program delete}: FORGET a program and, unless kept, its code STORE. */
@Command(name = "delete", description = "Forget a program and (unless --keep-code) its code.")
public final class DeleteCommand extends BaseCommand {
    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Option(names = "--reason", defaultValue = "User deletion", description = "Reason written in the FORGET (default: ${DEFAULT-VALUE}).")
    String reason;

    @Option(names = "--keep-code", description = "Keep the code STORE.")
    boolean keepCode;

    public DeleteCommand(Ctx ctx) {
        super(ctx);
    }

    @Override
    protected int execute() throws IOException {
        requireHash(hash, "program hash");
        EthAccount account = account();
        OwnedProgram p = ownedProgram(hash, account);
        AlephMessage f = forget(account, List.of(hash), reason, p.message().channel());
        MessageRecord fr = ccn().message(f.itemHash()).orElse(null);
        if (fr == null || fr.rejected()) {
            throw new CliException("the CCN rejected the deletion of " + hash + (fr == null ? "" : " (error_code " + fr.errorCode() + ")"));
        }
        String codeRef = p.content().code().ref();
        String codeState = "kept";
        if (!keepCode) {
            AlephMessage fc = forget(account, List.of(codeRef), "Deletion of program " + hash, p.message().channel());
            MessageRecord fcr = ccn().message(fc.itemHash()).orElse(null);
            if (fcr != null && !fcr.rejected()) codeState = "deleted";
            else codeState = "kept: " + (fcr == null ? "no answer" : "error_code " + fcr.errorCode()
                    + (fcr.details() == null ? "" : " " + fcr.details()));
        }
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("item_hash", hash);
            o.put("forget", f.itemHash());
            o.put("code_store", codeRef);
            o.put("code", codeState.startsWith("deleted") ? "deleted" : "kept");
            printJson(o);
        } else {
            if (codeState.equals("deleted")) ctx.out().println("Code volume " + codeRef + " has been deleted.");
            else if (!keepCode) ctx.out().println("Code volume " + codeRef + " was " + codeState + ".");
            ctx.out().println("Program " + hash + " has been deleted.");
        }
        return 0;
    }
}
