package org.aleph4j.cli.file;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.UploadProgress;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
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
@Command(name = "file", description = "Upload and download files.",
        subcommands = {FileCommand.Upload.class, FileCommand.Download.class})
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
                printJson(store.withContent(Json.MAPPER.valueToTree(content)));
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

    static String sha256(Path file) throws IOException {
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(in.getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
