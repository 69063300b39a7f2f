package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.Price;
import org.aleph4j.client.scheduler.NodeInfo;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.message.content.Resources;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.client.UploadProgress;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.content.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code aleph program upload}: pack the code, check the funds, upload the code STORE and post the PROGRAM. */
@Command(name = "upload", aliases = "create", description = "Pack PATH, upload it and create a PROGRAM running ENTRYPOINT.",
        footer = {"", "Example:", "  aleph program upload ./src/ main:app --persistent --name hello",
                "  aleph program upload ./src/ main:app --address 0x… (a program for an address that authorized yours)"})
public final class UploadCommand extends ReachingCommand {
    @Parameters(index = "0", paramLabel = "PATH", description = "Directory (packed as squashfs when mksquashfs exists, else zip) or a .zip/.squashfs file.")
    Path path;

    @Parameters(index = "1", paramLabel = "ENTRYPOINT", description = "module:app for ASGI programs (e.g. main:app), or an executable path.")
    String entrypoint;

    @Option(names = "--name", description = "Program name (default: the directory or file name).")
    String name;

    @Option(names = "--runtime", paramLabel = "HASH", description = "Runtime STORE hash (default: aleph4j's Python 3 runtime).")
    String runtime;

    @Option(names = "--compute-units", paramLabel = "N", description = "Compute units: N vCPU and N x 2048 MiB (default 1).")
    Integer computeUnits;

    @Option(names = "--vcpus", paramLabel = "N", description = "vCPUs (default from compute units).")
    Integer vcpus;

    @Option(names = "--memory", paramLabel = "MIB", description = "Memory in MiB (default from compute units).")
    Integer memory;

    @Option(names = "--timeout-seconds", paramLabel = "S", description = "The program's own timeout: longest time one request to it may run "
            + "(resources.seconds; default 30). Not --timeout, the CLI's bound of each network call.")
    Double timeoutSecondsPerRequest;

    @Option(names = "--internet", negatable = true, description = "Give the program internet access (default off).")
    boolean internet;

    @Option(names = "--updatable", negatable = true, description = "Allow later PROGRAM messages to replace this one (allow_amend; always on for persistent programs).")
    boolean updatable;

    @Option(names = "--persistent", negatable = true, description = "Run it persistently (always on, exactly once) instead of on demand.")
    boolean persistent;

    @Mixin
    VolumeOptions volumeOptions;

    @Option(names = "--env-vars", paramLabel = "K=v,K2=v2", description = "Environment variables (public: they are part of the message).")
    String envVars;

    @Option(names = "--skip-env-var", negatable = true,
            description = "Accepted for compatibility: upstream uses it to skip its environment-variable prompt; "
                    + "aleph4j never prompts (use --env-vars), so it has no effect.")
    boolean skipEnvVar;

    @Option(names = "--address", paramLabel = "ADDRESS",
            description = "Create the program for this address (it owns and pays for it) instead of your account; "
                    + "the address must have authorized your account in its `security` aggregate (delegation).")
    String address;

    @Option(names = "--payment-chain", paramLabel = "CHAIN",
            description = "Chain of the payment hold; only ETH is supported on this network (default ETH).")
    String paymentChain;

    @Option(names = "--verbose", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Print the program's details and URLs (default); --no-verbose prints only its hash.")
    boolean verbose;

    @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
    String channel;

    @Mixin
    SchedulerOption scheduler;

    @Option(names = "--print-messages", description = "Print the STORE and PROGRAM messages.")
    boolean printMessages;

    @Option(names = "--print-code-message", description = "Print the code STORE message.")
    boolean printCodeMessage;

    @Option(names = "--print-program-message", description = "Print the PROGRAM message.")
    boolean printProgramMessage;

    public UploadCommand(Ctx ctx) {
        super(ctx);
    }

    @Override
    protected int execute() throws IOException {
        // Everything that can be checked locally is checked before anything is sent.
        try {
            ProgramBuilder.checkEntrypoint(entrypoint);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        if (!Files.exists(path)) throw CliException.usage("no such file or directory: " + path + " — pass the directory holding your code");
        CodeChecks.check(path, entrypoint, ctx.env(), ctx.err());
        List<Volume> volumes = volumeOptions.volumes();
        Map<String, String> variables;
        try {
            variables = ProgramBuilder.parseEnvVars(envVars);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        if (runtime != null) requireHash(runtime, "runtime hash");
        if (paymentChain != null && !paymentChain.strip().equalsIgnoreCase("ETH")) {
            throw CliException.usage("--payment-chain " + paymentChain + ": only ETH is supported on this network (hold payment on ETH)");
        }
        if (address != null && !address.matches("0x[0-9a-fA-F]{40}")) {
            throw CliException.usage("--address '" + address + "' is not an Ethereum address (0x + 40 hex)");
        }
        for (Integer v : new Integer[]{computeUnits, vcpus, memory}) {
            if (v != null && v < 1) throw CliException.usage("--compute-units, --vcpus and --memory must be at least 1");
        }
        String programName = name != null ? name : defaultName(path);
        if (programName.length() > 64) throw CliException.usage("--name must be shorter than 65 characters");
        EthAccount account = account();
        URI reach = crn();
        domain();
        debug("CCN " + ccn().baseUrl() + ", CRN " + reach + ", signer " + account.address());
        String owner = ownerFor(address, account, MessageType.PROGRAM);
        if (!owner.equals(account.address())) ownerFor(address, account, MessageType.STORE);
        VolumeOptions.requireStores(volumes, ccn());
        try (CodeArchive archive = CodeArchive.pack(path, null, ctx.env())) {
            long size = Files.size(archive.file());
            double now = ctx.now();
            debug("code packed as " + archive.encoding().value() + ", " + size + " bytes: " + archive.file());
            AlephMessage store = sign(account, MessageType.STORE, new StoreContent(owner, now, ItemType.STORAGE,
                    sha256(archive.file()), null, null, null, null, null), channel, now);
            ProgramContent content = new ProgramBuilder(owner, store.itemHash(), entrypoint, archive.encoding())
                    .name(programName).runtime(runtime).computeUnits(computeUnits).vcpus(vcpus).memory(memory)
                    .timeoutSeconds(timeoutSecondsPerRequest).internet(internet).updatable(updatable)
                    .persistent(persistent).variables(variables).volumes(volumes).time(now).build();
            AlephMessage program = sign(account, MessageType.PROGRAM, content, channel, now);

            debug("code STORE " + store.itemHash() + ", PROGRAM " + program.itemHash() + " for " + owner);

            FundsCheck funds = new FundsCheck(ccn(), ctx.err());
            Price price = funds.estimate(program);
            if (persistent) checkNodeFit(content.resources());
            funds.require(price, owner);
            debug("funds checked for " + owner);

            UploadProgress progress = progress(size);
            UploadResult up = ccn().uploadFile(archive.file(), store, true, progress);
            if (progress != UploadProgress.NONE) endProgress(size);
            debug("code upload: HTTP " + up.httpStatus());
            if (up.httpStatus() >= 400) throw new CliException("code upload failed: HTTP " + up.httpStatus());
            PostResult r = ccn().post(program, true);
            debug("PROGRAM post: HTTP " + r.httpStatus() + ", " + r.messageStatus());
            if (r.rejected()) {
                MessageRecord rec = ccn().message(program.itemHash()).orElse(null);
                // Leave nothing behind: the code only existed for this program.
                forget(account, List.of(store.itemHash()), "Program creation failed", channel);
                if (rec != null && rec.errorCode() != null && rec.errorCode() == 5) {
                    JsonNode err = rec.details() == null ? null : rec.details().path("errors").path(0);
                    throw FundsCheck.insufficient(owner,
                            err == null ? "?" : err.path("account_balance").asText("?"),
                            err == null ? "?" : err.path("required_balance").asText("?"), ccn().baseUrl().toString());
                }
                throw new CliException("the CCN rejected the program " + program.itemHash() + " (error_code "
                        + (rec == null ? "?" : rec.errorCode()) + (rec == null || rec.details() == null ? "" : ", " + rec.details())
                        + ")");
            }
            if (printMessages || printCodeMessage) printMessage(store.withContent(tree(storeContentOf(store))));
            if (printMessages || printProgramMessage) printMessage(program.withContent(tree(content)));
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("item_hash", program.itemHash());
                o.put("status", r.messageStatus());
                o.put("code_store", store.itemHash());
                o.put("encoding", archive.encoding().value());
                o.put("code_size", size);
                o.put("persistent", persistent);
                o.put("vm_url", vmUrl(program.itemHash()));
                o.put("host_url", hostUrl(program.itemHash()));
                printJson(o);
            } else if (!verbose) {
                ctx.out().println(program.itemHash());
            } else {
                ctx.out().println("Your program " + program.itemHash() + " has been uploaded.");
                if (!owner.equals(account.address())) ctx.out().println("  Owner:     " + owner + " (signed by " + account.address() + ")");
                ctx.out().println("  Name:      " + programName);
                ctx.out().println("  Code:      " + store.itemHash() + " (" + archive.encoding().value() + ", " + size + " bytes)");
                ctx.out().println("  Execution: " + (persistent ? "persistent" : "on demand") + ", "
                        + content.resources().vcpus() + " vCPU, " + content.resources().memory() + " MiB");
                for (Volume v : volumes) ctx.out().println("  Volume:    " + VolumeOptions.describe(v));
                ctx.out().println("  Status:    " + r.messageStatus()
                        + (MessageStatus.PENDING.is(r.messageStatus()) ? " — check with `aleph message get " + program.itemHash() + "`" : ""));
                printUrls(program.itemHash());
                if (persistent) ctx.out().println("Locate it with `aleph program status " + program.itemHash() + "`; stop it with `aleph program unpersist " + program.itemHash() + "`.");
            }
            return 0;
        }
    }

    private static Object storeContentOf(AlephMessage m) {
        return m.content() != null ? m.content() : Json.MAPPER.valueToTree(parseTree(m.itemContent()));
    }

    private static JsonNode parseTree(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Refuses a persistent program no node the scheduler knows could hold. A scheduler that cannot be
     * asked only gets a warning: the CCN, not the scheduler, accepts programs, and a scheduler that is
     * down or not yet started would place it later.
     */
    private void checkNodeFit(Resources r) {
        URI url = scheduler.url(settings());
        List<NodeInfo> nodes;
        try {
            nodes = scheduler.client(settings(), Math.min(timeoutSeconds, 10), ctx.clock()).nodes();
        } catch (SchedulerException e) {
            warn((e.isUnreachable() ? "cannot reach the scheduler at " + url
                    : "the scheduler at " + url + " answered HTTP " + e.httpStatus()) + ", so no check that a node can hold the program"
                    + " (pass --scheduler-url to check)");
            return;
        }
        debug("scheduler " + url + " knows " + nodes.size() + " node(s)");
        if (nodes.stream().noneMatch(n -> "active".equals(n.status()))) {
            warn("the scheduler at " + url + " knows no active node yet; the program will wait for one.");
            return;
        }
        NodeFit.refusal(nodes, r.vcpus(), r.memory()).ifPresent(why -> {
            throw new CliException(why);
        });
    }

    /**
     * Upload progress for code over 1 MiB: redrawn in place on a terminal; elsewhere (a log, a pipe)
     * one line when it starts and one when it ends, so logs get no carriage returns.
     */
    private UploadProgress progress(long size) {
        if (size < (1 << 20) || json) return UploadProgress.NONE;
        if (!terminal()) {
            ctx.err().printf(Locale.ROOT, "Uploading code: %.1f MiB...%n", size / 1048576.0);
            return (sent, total) -> {};
        }
        return (sent, total) -> ctx.err().printf(Locale.ROOT, "\rUploading code: %.1f / %.1f MiB", sent / 1048576.0, total / 1048576.0);
    }

    private void endProgress(long size) {
        if (terminal()) ctx.err().println();
        else ctx.err().printf(Locale.ROOT, "Uploaded code: %.1f MiB%n", size / 1048576.0);
    }

    /** Whether stderr is this process's own and a terminal is attached (in-process runs and pipes are not). */
    private boolean terminal() {
        return ctx.err() == System.err && System.console() != null;
    }

    static String defaultName(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        String n = abs.getFileName() == null ? "program" : abs.getFileName().toString();
        int dot = n.lastIndexOf('.');
        if (!Files.isDirectory(path) && dot > 0) n = n.substring(0, dot);
        return n;
    }
}
