package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.Balance;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.Price;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.client.UploadProgress;
import org.aleph4j.client.UploadResult;
import org.aleph4j.client.crn.CrnClient;
import org.aleph4j.client.crn.OwnerAuth;
import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.MoveRecord;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Json;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.HostLabels;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.content.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** {@code aleph program ...}. */
@Command(name = "program", description = "Upload, persist, update, delete and locate programs.",
        subcommands = {ProgramCommand.Upload.class, ProgramCommand.Update.class, ProgramCommand.Persist.class,
                ProgramCommand.Unpersist.class, ProgramCommand.Delete.class, ProgramCommand.ListCmd.class,
                ProgramCommand.Logs.class, ProgramCommand.Status.class})
public final class ProgramCommand extends GroupCommand {

    /** Options of commands that print where a program can be reached. */
    abstract static class Reaching extends BaseCommand {
        @Option(names = "--crn-url", paramLabel = "URL",
                description = "CRN serving programs (env ALEPH_CRN_URL, config crn_url; default http://127.0.0.1:4041).")
        String crnUrl;

        @Option(names = "--vm-domain", paramLabel = "DOMAIN",
                description = "Domain of <base32(hash)>.<domain> host routing (env ALEPH_VM_DOMAIN; default aleph.localhost).")
        String vmDomain;

        Reaching(Ctx ctx) {
            super(ctx);
        }

        URI crn() {
            return settings().crnUrl(crnUrl);
        }

        String domain() {
            return settings().vmDomain(vmDomain);
        }

        String vmUrl(String hash) {
            return stripSlash(crn().toString()) + "/vm/" + hash;
        }

        String hostUrl(String hash) {
            URI c = crn();
            return c.getScheme() + "://" + HostLabels.label(hash) + "." + domain() + (c.getPort() < 0 ? "" : ":" + c.getPort());
        }

        void printUrls(String hash) {
            ctx.out().println("Available on:");
            ctx.out().println("  " + vmUrl(hash));
            ctx.out().println("  " + hostUrl(hash));
        }
    }

    @Command(name = "upload", aliases = "create", description = "Pack PATH, upload it and create a PROGRAM running ENTRYPOINT.")
    public static final class Upload extends Reaching {
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

        @Option(names = "--timeout-seconds", paramLabel = "S", description = "Maximum duration of one request (default 30).")
        Double timeoutSecondsPerRequest;

        @Option(names = "--internet", negatable = true, description = "Give the program internet access (default off).")
        boolean internet;

        @Option(names = "--updatable", negatable = true, description = "Allow later PROGRAM messages to replace this one (allow_amend; always on for persistent programs).")
        boolean updatable;

        @Option(names = "--persistent", negatable = true, description = "Run it persistently (always on, exactly once) instead of on demand.")
        boolean persistent;

        @Option(names = "--persistent-volume", paramLabel = "SPEC", description = "name=…,mount=/abs,size_mib=N (repeatable).")
        List<String> persistentVolumes = new ArrayList<>();

        @Option(names = "--ephemeral-volume", paramLabel = "SPEC", description = "mount=/abs,size_mib=N (repeatable).")
        List<String> ephemeralVolumes = new ArrayList<>();

        @Option(names = "--immutable-volume", paramLabel = "SPEC", description = "mount=/abs,ref=<STORE hash>[,use_latest=true] (repeatable).")
        List<String> immutableVolumes = new ArrayList<>();

        @Option(names = "--env-vars", paramLabel = "K=v,K2=v2", description = "Environment variables (public: they are part of the message).")
        String envVars;

        @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
        String channel;

        @Option(names = "--print-messages", description = "Print the STORE and PROGRAM messages.")
        boolean printMessages;

        @Option(names = "--print-code-message", description = "Print the code STORE message.")
        boolean printCodeMessage;

        @Option(names = "--print-program-message", description = "Print the PROGRAM message.")
        boolean printProgramMessage;

        public Upload(Ctx ctx) {
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
            List<Volume> volumes = new ArrayList<>();
            Map<String, String> variables;
            try {
                persistentVolumes.forEach(s -> volumes.add(ProgramBuilder.parseVolume("persistent", s)));
                ephemeralVolumes.forEach(s -> volumes.add(ProgramBuilder.parseVolume("ephemeral", s)));
                immutableVolumes.forEach(s -> volumes.add(ProgramBuilder.parseVolume("immutable", s)));
                variables = ProgramBuilder.parseEnvVars(envVars);
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
            if (runtime != null) requireHash(runtime, "runtime hash");
            for (Integer v : new Integer[]{computeUnits, vcpus, memory}) {
                if (v != null && v < 1) throw CliException.usage("--compute-units, --vcpus and --memory must be at least 1");
            }
            String programName = name != null ? name : defaultName(path);
            if (programName.length() > 64) throw CliException.usage("--name must be shorter than 65 characters");
            EthAccount account = account();
            URI reach = crn();
            domain();
            try (CodeArchive archive = CodeArchive.pack(path, null, ctx.env())) {
                long size = Files.size(archive.file());
                double now = ctx.now();
                AlephMessage store = sign(account, MessageType.STORE, new StoreContent(account.address(), now, ItemType.STORAGE,
                        sha256(archive.file()), null, null, null, null, null), channel, now);
                ProgramContent content = new ProgramBuilder(account.address(), store.itemHash(), entrypoint, archive.encoding())
                        .name(programName).runtime(runtime).computeUnits(computeUnits).vcpus(vcpus).memory(memory)
                        .timeoutSeconds(timeoutSecondsPerRequest).internet(internet).updatable(updatable)
                        .persistent(persistent).variables(variables).volumes(volumes).time(now).build();
                AlephMessage program = sign(account, MessageType.PROGRAM, content, channel, now);

                checkFunds(program, content, account.address());

                UploadResult up = ccn().uploadFile(archive.file(), store, true, progress(size));
                if (up.httpStatus() >= 400) throw new CliException("code upload failed: HTTP " + up.httpStatus());
                PostResult r = ccn().post(program, true);
                if (r.rejected()) {
                    MessageRecord rec = ccn().message(program.itemHash()).orElse(null);
                    // Leave nothing behind: the code only existed for this program.
                    forget(account, List.of(store.itemHash()), "Program creation failed", channel);
                    if (rec != null && rec.errorCode() != null && rec.errorCode() == 5) {
                        JsonNode err = rec.details() == null ? null : rec.details().path("errors").path(0);
                        throw insufficient(account.address(),
                                err == null ? "?" : err.path("account_balance").asText("?"),
                                err == null ? "?" : err.path("required_balance").asText("?"));
                    }
                    throw new CliException("the CCN rejected the program " + program.itemHash() + " (error_code "
                            + (rec == null ? "?" : rec.errorCode()) + (rec == null || rec.details() == null ? "" : ", " + rec.details())
                            + ")");
                }
                if (printMessages || printCodeMessage) printJson(store.withContent(tree(storeContentOf(store))));
                if (printMessages || printProgramMessage) printJson(program.withContent(tree(content)));
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
                } else {
                    ctx.out().println("Your program " + program.itemHash() + " has been uploaded.");
                    ctx.out().println("  Name:      " + programName);
                    ctx.out().println("  Code:      " + store.itemHash() + " (" + archive.encoding().value() + ", " + size + " bytes)");
                    ctx.out().println("  Execution: " + (persistent ? "persistent" : "on demand") + ", "
                            + content.resources().vcpus() + " vCPU, " + content.resources().memory() + " MiB");
                    ctx.out().println("  Status:    " + r.messageStatus()
                            + ("pending".equals(r.messageStatus()) ? " — check with `aleph message get " + program.itemHash() + "`" : ""));
                    printUrls(program.itemHash());
                    if (persistent) ctx.out().println("Locate it with `aleph program status " + program.itemHash() + "`; stop it with `aleph program unpersist " + program.itemHash() + "`.");
                }
                return 0;
            }
        }

        private static Object storeContentOf(AlephMessage m) {
            return m.content() != null ? m.content() : org.aleph4j.message.Json.MAPPER.valueToTree(parseTree(m.itemContent()));
        }

        private static JsonNode parseTree(String s) {
            try {
                return org.aleph4j.message.Json.MAPPER.readTree(s);
            } catch (IOException e) {
                return null;
            }
        }

        /** Upstream's check (§4.1): the estimated hold must fit in balance − locked, before anything is uploaded. */
        private void checkFunds(AlephMessage program, ProgramContent content, String address) throws CcnException {
            BigDecimal required;
            try {
                Price p = ccn().estimate(program);
                required = p.requiredTokens().signum() > 0 ? p.requiredTokens() : p.cost();
            } catch (CcnException e) {
                if (e.isUnreachable()) throw e;
                // A CCN without the estimate endpoint: fall back to aleph4j's default hold prices.
                int cu = ProgramBuilder.computeUnitsOf(content.resources().vcpus(), content.resources().memory());
                int perCu = content.isPersistent() ? 2000 : (content.environment().internet() ? 400 : 200);
                required = BigDecimal.valueOf((long) cu * perCu);
                ctx.err().println("Note: the CCN could not estimate the price (" + e.getMessage() + "); assuming " + required + " ALEPH.");
            }
            Balance b = ccn().balance(address);
            if (b.available().compareTo(required) < 0) {
                throw insufficient(address, plain(b.available()), plain(required));
            }
        }

        private UploadProgress progress(long size) {
            if (size < (1 << 20) || json) return UploadProgress.NONE;
            return (sent, total) -> ctx.err().printf(Locale.ROOT, "Uploading code: %.1f / %.1f MiB%n", sent / 1048576.0, total / 1048576.0);
        }
    }

    static CliException insufficient(String address, String available, String required) {
        return new CliException("Program creation failed due to insufficient funds.\n" + address + " has " + available
                + " ALEPH but needs " + required + " ALEPH.");
    }

    @Command(name = "update", description = "Upload new code for a program (a STORE that amends its code; the program hash stays).")
    public static final class Update extends Reaching {
        @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
        String hash;

        @Parameters(index = "1", paramLabel = "PATH", description = "Directory or archive with the new code (same encoding as before).")
        Path path;

        @Option(names = "--print-message", description = "Print the new STORE message.")
        boolean printMessage;

        public Update(Ctx ctx) {
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
                if (printMessage) printJson(store);
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

    /** persist / unpersist: a new PROGRAM with on.persistent flipped that replaces the old one (reference §4.3). */
    abstract static class Repersist extends Reaching {
        @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
        String hash;

        @Option(names = "--keep-prev", description = "Do not forget the previous program message.")
        boolean keepPrev;

        private final boolean target;

        Repersist(Ctx ctx, boolean target) {
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
            requireFundsForReplacement(msg, account.address());
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
            if (forgetNote != null) ctx.err().println("Warning: " + forgetNote);
            return 0;
        }

    /**
     * Fails with upstream's insufficient-funds error, before anything is posted, unless the balance
     * covers the replacement. The CCN does not count the replaced program's hold against its
     * replacement, so that hold is available to it.
     */
    private void requireFundsForReplacement(AlephMessage replacement, String address) throws CcnException {
        BigDecimal need;
        BigDecimal oldCost;
        try {
            Price p = ccn().estimate(replacement);
            need = p.requiredTokens().signum() > 0 ? p.requiredTokens() : p.cost();
            Price old = ccn().price(hash);
            oldCost = old.requiredTokens().signum() > 0 ? old.requiredTokens() : old.cost();
        } catch (CcnException e) {
            if (e.isUnreachable()) throw e;
            return; // No estimate: let the CCN decide.
        }
        BigDecimal available = ccn().balance(address).available().add(oldCost);
        if (available.compareTo(need) < 0) throw insufficient(address, plain(available), plain(need));
    }
}

    @Command(name = "persist", description = "Make a program persistent: a new PROGRAM replaces it, the old one is forgotten.")
    public static final class Persist extends Repersist {
        public Persist(Ctx ctx) {
            super(ctx, true);
        }
    }

    @Command(name = "unpersist", description = "Stop the persistent execution: a new on-demand PROGRAM replaces it, the old one is forgotten.")
    public static class Unpersist extends Repersist {
        public Unpersist(Ctx ctx) {
            super(ctx, false);
        }
    }

    @Command(name = "delete", description = "Forget a program and (unless --keep-code) its code.")
    public static final class Delete extends BaseCommand {
        @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
        String hash;

        @Option(names = "--reason", defaultValue = "User deletion", description = "Reason written in the FORGET (default: ${DEFAULT-VALUE}).")
        String reason;

        @Option(names = "--keep-code", description = "Keep the code STORE.")
        boolean keepCode;

        public Delete(Ctx ctx) {
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

    @Command(name = "list", description = "List the live programs of an address.")
    public static final class ListCmd extends Reaching {
        @Option(names = "--address", paramLabel = "ADDRESS", description = "Owner address (default: your account).")
        String address;

        public ListCmd(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            String addr = address != null ? address : account().address();
            List<AlephMessage> candidates = ccn().messages(MessageQuery.builder().msgTypes("PROGRAM").addresses(addr)
                    .pagination(100).build()).messages();
            ArrayNode arr = JsonNodeFactory.instance.arrayNode();
            for (AlephMessage m : candidates) {
                Optional<MessageRecord> rec = ccn().message(m.itemHash());
                if (rec.isEmpty() || !rec.get().processed() || rec.get().message() == null) continue;
                JsonNode c = rec.get().message().content();
                ObjectNode o = arr.addObject();
                o.put("item_hash", m.itemHash());
                o.put("name", c.path("metadata").path("name").asText(""));
                o.put("persistent", c.path("on").path("persistent").asBoolean(false));
                o.put("vcpus", c.path("resources").path("vcpus").asInt());
                o.put("memory", c.path("resources").path("memory").asInt());
                o.put("timeout_seconds", c.path("resources").path("seconds").asInt());
                o.put("internet", c.path("environment").path("internet").asBoolean(false));
                o.put("updatable", c.path("allow_amend").asBoolean(false));
                o.put("entrypoint", c.path("code").path("entrypoint").asText());
                o.put("code_ref", c.path("code").path("ref").asText());
                o.put("runtime", c.path("runtime").path("ref").asText());
                o.put("created", Instant.ofEpochMilli((long) (m.time() * 1000)).toString());
                o.put("payment", c.path("payment").path("type").asText("hold"));
                o.put("vm_url", vmUrl(m.itemHash()));
            }
            if (json) {
                printJson(arr);
                return 0;
            }
            if (arr.isEmpty()) {
                ctx.out().println("No programs for " + addr + ".");
                return 0;
            }
            ctx.out().printf("%-64s  %-20s  %-10s  %5s  %7s  %s%n", "HASH", "NAME", "EXECUTION", "VCPUS", "MEMORY", "CREATED");
            for (JsonNode o : arr) {
                ctx.out().printf("%-64s  %-20s  %-10s  %5d  %7s  %s%n", o.path("item_hash").asText(),
                        truncate(o.path("name").asText(), 20), o.path("persistent").asBoolean() ? "persistent" : "on demand",
                        o.path("vcpus").asInt(), o.path("memory").asInt() + "MiB", o.path("created").asText());
            }
            ctx.out().println("See logs with `aleph program logs <hash> --crn-url <crn>`.");
            return 0;
        }
    }

    @Command(name = "logs", description = "Print a program's execution logs from a CRN (owner only).")
    public static final class Logs extends Reaching {
        @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
        String hash;

        @Option(names = {"--crn", "--domain"}, paramLabel = "URL", description = "CRN to ask (same as --crn-url).")
        String crnAlias;

        public Logs(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            requireHash(hash, "program hash");
            EthAccount account = account();
            URI crn = settings().crnUrl(crnAlias != null ? crnAlias : crnUrl);
            List<JsonNode> entries;
            try (CrnClient client = new CrnClient(crn, Duration.ofSeconds(timeoutSeconds))) {
                entries = client.logs(hash, new OwnerAuth(account, domain()));
            } catch (CrnClient.CrnException e) {
                if (e.httpStatus() == 404) throw new CliException("the CRN at " + crn + " has no execution of program " + hash
                        + " — find where it runs with `aleph program status " + hash + "`");
                if (e.httpStatus() == 403) throw new CliException("you are not the owner of program " + hash
                        + " — use the owner's key (--private-key-file)");
                if (e.httpStatus() == 401) throw new CliException("the CRN refused the signed request: " + e.getMessage()
                        + " — check the clock and --vm-domain (must match the CRN's domain)");
                throw e;
            }
            if (json) {
                printJson(entries);
                return 0;
            }
            ctx.out().println("Received logs");
            for (JsonNode e : entries) {
                ctx.out().println(e.path("__REALTIME_TIMESTAMP").asText() + ">  " + e.path("MESSAGE").asText());
            }
            return 0;
        }
    }

    @Command(name = "status", description = "Show where a program runs (scheduler allocation: node, URL, epoch, since, previous nodes).")
    public static final class Status extends Reaching {
        @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
        String hash;

        @Option(names = "--scheduler-url", paramLabel = "URL",
                description = "Scheduler API (env ALEPH_SCHEDULER_URL, config scheduler_url; default http://127.0.0.1:4030).")
        String schedulerUrl;

        public Status(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            requireHash(hash, "program hash");
            MessageRecord rec = ccn().message(hash).orElseThrow(() ->
                    new CliException("program " + hash + " not found on the CCN at " + ccn().baseUrl() + " — check the hash"));
            JsonNode content = rec.message() == null ? null : rec.message().content();
            boolean persistent = content != null && content.path("on").path("persistent").asBoolean(false);
            URI sched = settings().schedulerUrl(schedulerUrl);
            Optional<VmInfo> vm = Optional.empty();
            Optional<Allocation> allocation = Optional.empty();
            Map<String, String> nodeUrls = new HashMap<>();
            if (persistent && rec.processed()) {
                SchedulerClient scheduler = new SchedulerClient(List.of(sched), Duration.ofSeconds(timeoutSeconds), InstantSource.system());
                try {
                    vm = scheduler.vm(hash);
                    allocation = scheduler.allocation(hash);
                    if (vm.isPresent() && !vm.get().history().isEmpty()) {
                        scheduler.nodes().forEach(n -> nodeUrls.put(n.nodeHash(), n.url()));
                    }
                } catch (SchedulerException e) {
                    throw new CliException(e.httpStatus() == 0
                            ? "cannot reach the scheduler at " + sched + " — start a devnet with `bin/aleph-node devnet` or pass --scheduler-url"
                            : "the scheduler at " + sched + " answered HTTP " + e.httpStatus() + ": " + e.getMessage());
                }
            }
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("item_hash", hash);
                o.put("message_status", rec.status());
                o.put("persistent", persistent);
                vm.ifPresent(v -> o.set("vm", Json.MAPPER.valueToTree(v)));
                allocation.ifPresent(a -> o.set("allocation", Json.MAPPER.valueToTree(a)));
                if (!persistent) o.put("vm_url", vmUrl(hash));
                printJson(o);
                return 0;
            }
            ctx.out().println("Program:   " + hash);
            ctx.out().println("Message:   " + rec.status());
            if (!rec.processed()) return 0;
            if (!persistent) {
                ctx.out().println("Execution: on demand — any CRN starts it on request");
                printUrls(hash);
                return 0;
            }
            ctx.out().println("Execution: persistent");
            if (vm.isEmpty() && allocation.isEmpty()) {
                ctx.out().println("State:     not allocated yet (the scheduler at " + sched + " does not know it)");
                return 0;
            }
            VmInfo v = vm.orElse(null);
            Allocation.Node node = allocation.map(Allocation::node).orElse(null);
            ctx.out().println("State:     " + (v == null ? "allocated"
                    : v.status() + (v.schedulingStatus() == null ? "" : " (" + v.schedulingStatus() + ")")));
            String url = v != null && v.nodeUrl() != null ? v.nodeUrl() : node == null ? null : node.url();
            String nodeName = v != null && v.nodeAddress() != null ? v.nodeAddress() : node == null ? null : node.nodeId();
            ctx.out().println("Node:      " + (nodeName == null ? "-" : nodeName));
            ctx.out().println("URL:       " + (url == null ? "-" : stripSlash(url) + "/vm/" + hash));
            Long epoch = v != null && v.epoch() != null ? v.epoch() : allocation.map(Allocation::epoch).orElse(null);
            ctx.out().println("Epoch:     " + (epoch == null ? "-" : epoch));
            double since = v != null && v.since() != null ? v.since()
                    : allocation.map(a -> a.period().startTimestamp()).orElse(0.0);
            ctx.out().println("Since:     " + (since > 0 ? Instant.ofEpochMilli((long) (since * 1000)).toString() : "-"));
            if (v != null && !v.history().isEmpty()) {
                ctx.out().println("History:");
                for (MoveRecord h : v.history()) {
                    ctx.out().println("  " + Instant.ofEpochMilli((long) (h.time() * 1000)) + "  "
                            + (h.epoch() == null ? "" : "epoch " + h.epoch() + "  ")
                            + (h.toNode() == null ? "" : "on " + nodeUrls.getOrDefault(h.toNode(), h.toNode()) + "  ")
                            + (h.reason() == null ? "" : h.reason()));
                }
            }
            return 0;
        }

    }

    // ---------------------------------------------------------------- helpers

    static String defaultName(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        String n = abs.getFileName() == null ? "program" : abs.getFileName().toString();
        int dot = n.lastIndexOf('.');
        if (!Files.isDirectory(path) && dot > 0) n = n.substring(0, dot);
        return n;
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    static String plain(BigDecimal d) {
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }

    static String truncate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
