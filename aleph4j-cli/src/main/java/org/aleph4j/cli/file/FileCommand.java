package org.aleph4j.cli.file;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.OutputFormat;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.UploadProgress;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.StoreContent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code aleph file ...}. */
@Command(name = "file", description = "Upload, download, list, pin and forget files.",
        subcommands = {FileCommand.Upload.class, FileCommand.Download.class, FileCommand.ListCmd.class,
                FileCommand.Pin.class, FileCommand.ForgetCmd.class})
public final class FileCommand extends GroupCommand {

    @Command(name = "upload", description = "Upload a file with a signed STORE message; prints the STORE.")
    public static final class Upload extends BaseCommand {
        @Parameters(index = "0", paramLabel = "PATH", description = "File to upload.")
        Path path;

        @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
        String channel;

        @Option(names = "--ref", description = "Make this file an update of an earlier STORE (its item hash) or a named tag.")
        String ref;

        @Option(names = "--metadata", split = ",", paramLabel = "K=V", description = "Metadata key=value pairs.")
        List<String> metadata;

        public Upload(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            if (!Files.isRegularFile(path)) throw CliException.usage("no such file: " + path + " (directories are not supported; zip them)");
            EthAccount account = account();
            Map<String, String> meta = new LinkedHashMap<>();
            if (metadata != null) for (String kv : metadata) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw CliException.usage("--metadata expects key=value, got '" + kv + "'");
                meta.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            long size = Files.size(path);
            double now = ctx.now();
            StoreContent content = new StoreContent(account.address(), now, ItemType.STORAGE, sha256(path), null, null, ref,
                    meta.isEmpty() ? null : Json.MAPPER.valueToTree(meta), null);
            AlephMessage store = sign(account, MessageType.STORE, content, channel, now);
            UploadProgress progress = size < (1 << 20) || json ? UploadProgress.NONE
                    : (sent, total) -> ctx.err().printf(Locale.ROOT, "Uploading: %.1f / %.1f MiB%n", sent / 1048576.0, total / 1048576.0);
            UploadResult up = ccn().uploadFile(path, store, true, progress);
            MessageRecord rec = ccn().message(store.itemHash()).orElse(null);
            if (rec != null && rec.rejected()) {
                throw new CliException("the CCN rejected the STORE " + store.itemHash() + " (error_code " + rec.errorCode()
                        + (rec.details() == null ? "" : ", " + rec.details()) + ")");
            }
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("item_hash", store.itemHash());
                o.put("file_hash", up.hash() != null ? up.hash() : content.itemHash());
                o.put("size", size);
                o.put("status", rec == null ? null : rec.status());
                o.set("message", store.withContent(Json.MAPPER.valueToTree(content)).toJson());
                printJson(o);
            } else {
                printMessage(store.withContent(Json.MAPPER.valueToTree(content)));
                ctx.out().println("File " + content.itemHash() + " (" + size + " bytes) stored by STORE " + store.itemHash()
                        + " (" + (rec == null ? "?" : rec.status()) + ")");
            }
            return 0;
        }
    }

    @Command(name = "download", description = "Download a file by its file hash (or the item hash of its STORE).")
    public static final class Download extends BaseCommand {
        @Parameters(index = "0", paramLabel = "HASH", description = "File hash, or STORE item hash.")
        String hash;

        @Option(names = {"-o", "--output"}, paramLabel = "PATH", description = "Where to write it (default: ./<hash>).")
        Path output;

        public Download(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            requireHash(hash, "file hash");
            String fileHash = hash;
            // A STORE item hash is accepted too: resolve it to the file it pins.
            MessageRecord rec = ccn().message(hash).orElse(null);
            if (rec != null && rec.message() != null && rec.message().type() == MessageType.STORE && rec.message().content() != null) {
                fileHash = rec.message().content().path("item_hash").asText(hash);
            }
            Path target = output != null ? output : Path.of(fileHash);
            long n;
            try {
                n = ccn().downloadFile(fileHash, target);
            } catch (org.aleph4j.client.CcnException e) {
                if (e.httpStatus() == 404) throw new CliException("file " + fileHash + " not found on the CCN at " + ccn().baseUrl());
                throw e;
            }
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("file_hash", fileHash);
                o.put("path", target.toString());
                o.put("size", n);
                printJson(o);
            } else {
                ctx.out().println("Downloaded " + fileHash + " to " + target + " (" + n + " bytes)");
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List the files an address pins (GET /api/v0/addresses/ADDRESS/files).",
            footer = {"", "Examples:", "  aleph file list", "  aleph file list --address 0x… --pagination 10 --page 2 --json"})
    public static final class ListCmd extends BaseCommand {
        @Option(names = "--address", paramLabel = "ADDRESS", description = "Whose files (default: your account).")
        String address;

        @Option(names = "--pagination", defaultValue = "100", description = "Files per page, 0 for all (default ${DEFAULT-VALUE}).")
        int pagination;

        @Option(names = "--page", defaultValue = "1", description = "Page, from 1 (default ${DEFAULT-VALUE}).")
        int page;

        @Option(names = "--sort-order", defaultValue = "-1", paramLabel = "-1|1", description = "-1 newest first (default), 1 oldest first.")
        int sortOrder;

        public ListCmd(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            if (pagination < 0) throw CliException.usage("--pagination must be 0 (no limit) or more");
            if (page < 1) throw CliException.usage("--page must be at least 1");
            if (sortOrder != -1 && sortOrder != 1) throw CliException.usage("--sort-order must be -1 or 1");
            String addr = address != null ? address : account().address();
            JsonNode page0 = ccn().addressFiles(addr, page, pagination, sortOrder).orElse(null);
            if (page0 == null) {
                ObjectNode empty = JsonNodeFactory.instance.objectNode();
                empty.put("address", addr);
                empty.put("total_size", 0);
                empty.putArray("files");
                empty.put("pagination_page", page);
                empty.put("pagination_total", 0);
                empty.put("pagination_per_page", pagination);
                page0 = empty;
            }
            if (json) {
                printJson(page0);
                return 0;
            }
            ctx.out().println("Address:    " + page0.path("address").asText(addr));
            long total = page0.path("total_size").asLong();
            ctx.out().printf(Locale.ROOT, "Total size: %d bytes (~ %.4f MiB)%n", total, total / 1048576.0);
            ctx.out().println("Page " + page0.path("pagination_page").asText() + ", " + page0.path("pagination_total").asText()
                    + " files in all, up to " + page0.path("pagination_per_page").asText() + " per page");
            if (page0.path("files").isEmpty()) {
                ctx.out().println("No files — upload one with `aleph file upload PATH`");
                return 0;
            }
            ctx.out().printf("%-64s  %12s  %-6s  %-26s  %s%n", "FILE HASH", "SIZE (B)", "TYPE", "CREATED", "ITEM HASH");
            for (JsonNode f : page0.path("files")) {
                ctx.out().printf("%-64s  %12d  %-6s  %-26s  %s%n", f.path("file_hash").asText(), f.path("size").asLong(),
                        f.path("type").asText(), OutputFormat.time(f.path("created").asText()), f.path("item_hash").asText());
            }
            return 0;
        }
    }

    @Command(name = "pin", description = "Pin a file already on the CCN with a new STORE message of yours (by its sha256 file hash).",
            footer = {"", "Example:", "  aleph file pin 3f2a…c1 --metadata purpose=backup",
                    "", "Upstream pins IPFS CIDs; aleph4j nodes run no IPFS, so CIDs are refused."})
    public static final class Pin extends BaseCommand {
        @Parameters(index = "0", paramLabel = "HASH", description = "sha256 hash of a file the CCN holds.")
        String hash;

        @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
        String channel;

        @Option(names = "--ref", description = "Make this STORE an update of an earlier STORE (its item hash) or a named tag.")
        String ref;

        @Option(names = "--address", paramLabel = "ADDRESS", description = "Pin for this address (it must have authorized your account).")
        String address;

        @Option(names = "--metadata", split = ",", paramLabel = "K=V", description = "Metadata key=value pairs.")
        List<String> metadata;

        public Pin(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            if (ItemHashes.isIpfsCid(hash)) {
                throw CliException.usage("'" + hash + "' is an IPFS CID: this network runs no IPFS; pin the sha256 hash of a file "
                        + "on the CCN (upload it with `aleph file upload`)");
            }
            if (!ItemHashes.isSha256Hash(hash)) throw CliException.usage("'" + hash + "' is not a file hash (64 hex characters)");
            Map<String, String> meta = metadata(metadata);
            EthAccount account = account();
            String owner = ownerFor(address, account, MessageType.STORE);
            if (!ccn().hasFile(hash)) {
                throw new CliException("file " + hash + " is not on the CCN at " + ccn().baseUrl()
                        + " — upload it with `aleph file upload`; nothing was sent");
            }
            double now = ctx.now();
            StoreContent content = new StoreContent(owner, now, ItemType.STORAGE, hash, null, null, ref,
                    meta.isEmpty() ? null : Json.MAPPER.valueToTree(meta), null);
            AlephMessage store = sign(account, MessageType.STORE, content, channel, now);
            debug("STORE " + store.itemHash() + " pinning " + hash);
            var r = postOrFail(store, "the STORE");
            AlephMessage shown = store.withContent(Json.MAPPER.valueToTree(content));
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("item_hash", store.itemHash());
                o.put("file_hash", hash);
                o.put("status", r.messageStatus());
                o.set("message", shown.toJson());
                printJson(o);
            } else {
                printMessage(shown.toJson());
                ctx.out().println("File " + hash + " pinned by STORE " + store.itemHash() + " (" + r.messageStatus() + ")");
            }
            return 0;
        }
    }

    @Command(name = "forget", description = "Forget files: a FORGET of their STORE messages (item hashes, or file hashes you pin).",
            footer = {"", "Examples:", "  aleph file forget 5e1d…07", "  aleph file forget 5e1d…07,9a0c…3b --reason 'old backups'"})
    public static final class ForgetCmd extends BaseCommand {
        @Parameters(index = "0", arity = "1..*", paramLabel = "HASH", description = "STORE item hashes or file hashes (comma-separated or several).")
        List<String> hashes;

        @Option(names = "--reason", defaultValue = "User deletion", description = "Reason written in the FORGET (default: ${DEFAULT-VALUE}).")
        String reason;

        @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
        String channel;

        public ForgetCmd(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            List<String> given = new java.util.ArrayList<>();
            for (String h : hashes) for (String x : h.split(",")) if (!x.isBlank()) given.add(requireHash(x.strip(), "item or file hash"));
            EthAccount account = account();
            java.util.LinkedHashSet<String> stores = new java.util.LinkedHashSet<>();
            for (String h : given) {
                MessageRecord rec = ccn().message(h).orElse(null);
                if (rec != null) {
                    if (rec.message() == null || rec.message().type() != MessageType.STORE) {
                        throw new CliException(h + " is a " + (rec.message() == null ? "message" : rec.message().type())
                                + " message, not a STORE — use `aleph message forget`; nothing was sent");
                    }
                    if (rec.forgotten()) throw new CliException("STORE " + h + " is already forgotten — nothing was sent");
                    stores.add(h);
                    continue;
                }
                // Not a message: a file hash, forgotten through the STOREs of yours that pin it.
                JsonNode myFiles = ccn().addressFiles(account.address(), 1, 0, -1, h).map(p -> p.path("files")).orElse(null);
                int before = stores.size();
                if (myFiles != null) for (JsonNode f : myFiles) if (h.equals(f.path("file_hash").asText())) stores.add(f.path("item_hash").asText());
                if (stores.size() == before) {
                    throw new CliException(h + " is neither a STORE message nor a file pinned by your account " + account.address()
                            + " — check the hash; nothing was sent");
                }
            }
            List<String> targets = List.copyOf(stores);
            AlephMessage f = forget(account, targets, reason, channel);
            MessageRecord rec = ccn().message(f.itemHash()).orElse(null);
            if (rec == null || rec.rejected()) {
                throw new CliException("the CCN rejected the FORGET " + f.itemHash() + " of " + String.join(", ", targets)
                        + (rec == null ? "" : " (error_code " + rec.errorCode() + ")")
                        + " — you can only forget files pinned by your account " + account.address());
            }
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("item_hash", f.itemHash());
                o.put("status", rec.status());
                o.set("hashes", Json.MAPPER.valueToTree(targets));
                o.set("message", f.toJson());
                printJson(o);
            } else {
                ctx.out().println("Forgot " + String.join(", ", targets) + " with FORGET " + f.itemHash() + " (" + rec.status() + ")");
            }
            return 0;
        }
    }

    static Map<String, String> metadata(List<String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>();
        if (metadata != null) for (String kv : metadata) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw CliException.usage("--metadata expects key=value, got '" + kv + "'");
            meta.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return meta;
    }

    static String sha256(Path file) throws IOException {
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
