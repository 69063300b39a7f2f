package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.PostResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Contents;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.ProgramContent;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Options and helpers shared by every command that talks to a CCN or signs messages. */
public abstract class BaseCommand implements Callable<Integer> {
    protected final Ctx ctx;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--ccn-url", paramLabel = "URL",
            description = "CCN API (env ALEPH_CCN_URL or upstream's ALEPH_API_HOST, config ccn_url; default " + Settings.DEFAULT_CCN + ").")
    protected String ccnUrl;

    @Option(names = "--private-key", paramLabel = "HEX", description = "Sign with this private key instead of a key file.")
    protected String privateKey;

    @Option(names = "--private-key-file", paramLabel = "PATH",
            description = "Key file (default <config home>/private-keys/ethereum.key; config home = $ALEPH_HOME or ~/.aleph-im).")
    protected Path privateKeyFile;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    protected boolean json;

    @Option(names = "--debug", description = "Log each step (requests, hashes, answers) on stderr.")
    protected boolean debug;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30", description = "Bound of each network call (default ${DEFAULT-VALUE} s).")
    protected int timeoutSeconds;

    private Settings settings;
    private CcnClient ccn;
    private final List<JsonNode> shownMessages = new ArrayList<>();

    protected BaseCommand(Ctx ctx) {
        this.ctx = ctx;
    }

    @Override
    public final Integer call() throws Exception {
        try {
            return execute();
        } finally {
            if (ccn != null) ccn.close();
        }
    }

    protected abstract int execute() throws Exception;

    protected Settings settings() {
        if (settings == null) settings = new Settings(ctx.env());
        return settings;
    }

    protected CcnClient ccn() {
        if (ccn == null) ccn = new CcnClient(settings().ccnUrl(ccnUrl), Duration.ofSeconds(timeoutSeconds));
        return ccn;
    }

    /** The signing account from --private-key, --private-key-file or the default key file. */
    protected EthAccount account() throws IOException {
        return settings().accounts().resolve(privateKey, privateKeyFile != null ? privateKeyFile : settings().defaultKeyFile());
    }

    /** One step of the command on stderr, with --debug only. */
    protected void debug(String step) {
        if (debug) ctx.err().println("debug: " + step);
    }

    /**
     * Prints the command's result as one JSON document, its times and amounts in the CLI's one format
     * ({@link OutputFormat#normalize}). Messages given to {@link #printMessage} before it are added to
     * an object result as {@code messages}, so that {@code --json} output is always a single document.
     */
    protected void printJson(Object value) {
        JsonNode result = OutputFormat.normalize(tree(value));
        if (!shownMessages.isEmpty() && result instanceof ObjectNode o) {
            o.putArray("messages").addAll(shownMessages);
            shownMessages.clear();
        }
        if (!warnings.isEmpty() && result instanceof ObjectNode o) {
            warnings.forEach(o.putArray("warnings")::add);
            warnings.clear();
        }
        printDocument(result);
    }

    /**
     * A signed message the user asked to see ({@code --print-message(s)}). Under {@code --json} it is held for the
     * result printed by {@link #printJson} ({@code messages}); otherwise it is printed at once, as signed.
     */
    protected void printMessage(Object message) {
        if (json) shownMessages.add(tree(message));
        else printDocument(message);
    }

    /** Prints a document exactly as it is (a message, a user's aggregate value): nothing is rewritten. */
    protected void printDocument(Object value) {
        try {
            ctx.out().println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value));
        } catch (IOException e) {
            throw new CliException("cannot print JSON: " + e.getMessage());
        }
    }

    private final java.util.List<String> warnings = new java.util.ArrayList<>();

    /**
     * A warning (the command goes on): {@code Warning: …} on stderr, or under {@code --json} a line of
     * the result's (or the error's details') {@code warnings}, so that stderr stays one JSON document.
     */
    protected void warn(String text) {
        if (json) warnings.add(text);
        else ctx.err().println("Warning: " + text);
    }

    /** Warnings not yet printed (for a {@code --json} error's details). */
    java.util.List<String> pendingWarnings() {
        return java.util.List.copyOf(warnings);
    }

    /** Whether this run prints JSON (errors included). */
    boolean jsonOutput() {
        return json;
    }

    /** Rejects anything that is not an item hash, before any network call. */
    protected static String requireHash(String hash, String what) {
        if (!ItemHashes.isItemHash(hash)) {
            throw CliException.usage("'" + hash + "' is not a valid " + what + " (64 hex characters)");
        }
        return hash;
    }

    /** Signs {@code content} as a message of {@code type}. */
    protected static AlephMessage sign(EthAccount account, MessageType type, Content content, String channel, double time) {
        try {
            return MessageBuilder.build(account, type, content, channel, time);
        } catch (MessageException e) {
            throw new CliException("cannot build the " + type + " message: " + e.getMessage());
        }
    }

    /** Posts synchronously; a rejection becomes a {@link CliException} naming the error code. */
    protected PostResult postOrFail(AlephMessage m, String what) throws CcnException {
        PostResult r = ccn().post(m, true);
        if (r.rejected()) {
            Optional<MessageRecord> rec = ccn().message(m.itemHash());
            String reason = rec.map(x -> "error_code " + x.errorCode() + (x.details() == null ? "" : " " + Json.write(x.details())))
                    .orElse("HTTP " + r.httpStatus());
            throw new CliException(what + " " + m.itemHash() + " was rejected by the CCN (" + reason + ")", CommandLine.ExitCode.SOFTWARE,
                    rec.map(MessageRecord::errorCode).orElse(null), rec.map(MessageRecord::details).orElse(null));
        }
        return r;
    }

    /**
     * The owner a message is created for: {@code address} (upstream's {@code --address}, delegation) or the
     * signing account. For another address, its {@code security} aggregate must authorize the account for
     * {@code type}; otherwise this fails before anything is sent (the CCN makes the exact check on posting).
     */
    protected String ownerFor(String address, EthAccount account, MessageType type) throws CcnException {
        if (address == null || address.isBlank() || address.equalsIgnoreCase(account.address())) return account.address();
        if (!address.matches("0x[0-9a-fA-F]{40}")) throw CliException.usage("--address '" + address + "' is not an Ethereum address (0x + 40 hex)");
        JsonNode security = ccn().aggregate(address, "security").map(d -> d.path("security")).orElse(null);
        if (security != null) {
            for (JsonNode auth : security.path("authorizations")) {
                if (!account.address().equalsIgnoreCase(auth.path("address").asText())) continue;
                JsonNode types = auth.path("types");
                boolean typeOk = !types.isArray() || types.isEmpty();
                for (JsonNode t : types) typeOk |= t.asText().equals(type.name());
                if (typeOk) {
                    debug("delegation: " + address + " authorizes " + account.address() + " for " + type);
                    return address;
                }
            }
        }
        throw new CliException("--address " + address + ": your account " + account.address() + " is not authorized to send "
                + type + " messages for it (no matching entry in its `security` aggregate) — have " + address
                + " authorize your address, or drop --address");
    }

    /** A processed PROGRAM the account owns, with its typed content. */
    protected OwnedProgram ownedProgram(String hash, EthAccount account) throws CcnException {
        MessageRecord rec = ccn().message(hash).orElseThrow(() ->
                new CliException("program " + hash + " not found on the CCN at " + ccn().baseUrl() + " — check the hash"));
        if (rec.forgotten()) {
            String next = org.aleph4j.client.Replacements.replacedBy(ccn(), rec).orElse(null);
            throw new CliException("program " + hash + " was forgotten (deleted) by " + rec.forgottenBy()
                    + (next == null ? "" : "; it was replaced by " + next + " — use that hash"));
        }
        if (rec.message() == null || rec.message().type() != MessageType.PROGRAM) {
            throw new CliException("message " + hash + " is not a PROGRAM — check the hash");
        }
        if (!rec.processed()) throw new CliException("program " + hash + " is " + rec.status() + ", not processed");
        ProgramContent content;
        try {
            content = (ProgramContent) Contents.parse(MessageType.PROGRAM, rec.message().content());
        } catch (MessageException e) {
            throw new CliException("program " + hash + " has content aleph4j cannot read: " + e.getMessage());
        }
        if (!content.address().equalsIgnoreCase(account.address())) {
            throw new CliException("program " + hash + " belongs to " + content.address() + ", not to your account "
                    + account.address() + " — use the owner's key (--private-key-file)");
        }
        return new OwnedProgram(rec.message(), content);
    }

    /** FORGETs {@code hashes}; returns the post result without failing on rejection. */
    protected AlephMessage forget(EthAccount account, List<String> hashes, String reason, String channel) throws CcnException {
        AlephMessage f = sign(account, MessageType.FORGET, new ForgetContent(account.address(), ctx.now(), hashes, null, reason),
                channel, ctx.now());
        ccn().post(f, true);
        return f;
    }

    /** A PROGRAM message and its parsed content. */
    public record OwnedProgram(AlephMessage message, ProgramContent content) {}

    protected static JsonNode tree(Object o) {
        return Json.MAPPER.valueToTree(o);
    }
}
