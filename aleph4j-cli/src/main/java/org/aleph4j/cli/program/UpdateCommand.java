package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.UploadProgress;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.StoreContent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@code aleph program update}: a new code STORE that amends the program's code; the program hash stays. */
@Command(name = "update", description = "Upload new code for a program (a STORE that amends its code; the program hash stays).")
public final class UpdateCommand extends ReachingCommand {
    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Parameters(index = "1", paramLabel = "PATH", description = "Directory or archive with the new code (same encoding as before).")
    Path path;

    @Option(names = "--print-message", description = "Print the new STORE message.")
    boolean printMessage;

    public UpdateCommand(Ctx ctx) {
        super(ctx);
    }

    @Override
    protected int execute() throws IOException {
        requireHash(hash, "program hash");
        if (!Files.exists(path)) throw CliException.usage("no such file or directory: " + path);
        EthAccount account = account();
        OwnedProgram p = ownedProgram(hash, account);
        String codeRef = p.content().code().ref();
        MessageRecord codeStore = ccn().message(codeRef).orElseThrow(() ->
                new CliException("the code STORE " + codeRef + " of program " + hash + " is not on the CCN"));
        String channel = codeStore.message() != null && codeStore.message().channel() != null
                ? codeStore.message().channel() : p.message().channel();
        try (CodeArchive archive = CodeArchive.pack(path, p.content().code().encoding(), ctx.env())) {
            double now = ctx.now();
            AlephMessage store = sign(account, MessageType.STORE, new StoreContent(account.address(), now, ItemType.STORAGE,
                    sha256(archive.file()), null, null, codeRef, null, null), channel, now);
            UploadResult up = ccn().uploadFile(archive.file(), store, true, UploadProgress.NONE);
            if (up.httpStatus() >= 400) throw new CliException("code upload failed: HTTP " + up.httpStatus());
            MessageRecord rec = ccn().message(store.itemHash()).orElse(null);
            if (rec != null && rec.rejected()) {
                throw new CliException("the CCN rejected the code update (error_code " + rec.errorCode() + ", " + rec.details() + ")");
            }
            if (printMessage) printMessage(store);
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("item_hash", hash);
                o.put("code_store", store.itemHash());
                o.put("status", rec == null ? null : rec.status());
                printJson(o);
            } else {
                ctx.out().println("Your program " + hash + " has been updated to the new source code.");
                ctx.out().println("Updated code volume: " + store.itemHash());
                printUrls(hash);
            }
        }
        return 0;
    }
}
