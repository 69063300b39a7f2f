package org.aleph4j.cli.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.OutputFormat;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.client.PostResult;
import org.aleph4j.cli.CliException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code aleph message ...}. */
@Command(name = "message", description = "Read, find, post, amend, watch, sign and forget messages.",
        subcommands = {MessageCommand.Get.class, MessageCommand.Find.class, MessageCommand.Forget.class,
                MessageCommand.PostCmd.class, MessageCommand.Amend.class, MessageCommand.Watch.class, MessageCommand.Sign.class})
public final class MessageCommand extends GroupCommand {

    @Command(name = "get", description = "Show a message and its status (with error_code and details when rejected).")
    public static final class Get extends BaseCommand {
        @Parameters(index = "0", paramLabel = "HASH", description = "Item hash.")
        String hash;

        public Get(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            requireHash(hash, "item hash");
            MessageRecord rec = ccn().message(hash).orElseThrow(() ->
                    new CliException("message " + hash + " not found on the CCN at " + ccn().baseUrl() + " — check the hash"));
            if (json) {
                printJson(rec.raw());
                return 0;
            }
            ctx.out().println("Message Status: " + rec.status());
            if (rec.rejected()) {
                ObjectNode o = tree(java.util.Map.of()).deepCopy();
                o.put("error_code", rec.errorCode());
                if (rec.details() != null) o.set("details", rec.details());
                printDocument(o);
            }
            if (rec.forgotten()) ctx.out().println("Forgotten by: " + String.join(", ", rec.forgottenBy()));
            if (rec.message() != null) printMessage(rec.message());
            return 0;
        }
    }

    @Command(name = "find", description = "Query messages (GET /api/v0/messages.json); prints them as JSON.")
    public static final class Find extends BaseCommand {
        @Option(names = {"--message-types", "--types"}, split = ",", paramLabel = "TYPE", description = "Message types (POST, STORE, PROGRAM, FORGET...).")
        List<String> types = new ArrayList<>();
        @Option(names = "--statuses", split = ",", paramLabel = "STATUS", description = "Statuses (default processed,removing).")
        List<String> statuses = new ArrayList<>();
        @Option(names = "--addresses", split = ",", paramLabel = "ADDR", description = "Senders.")
        List<String> addresses = new ArrayList<>();
        @Option(names = "--owners", split = ",", paramLabel = "ADDR", description = "Content owners.")
        List<String> owners = new ArrayList<>();
        @Option(names = "--refs", split = ",", paramLabel = "REF", description = "content.ref values.")
        List<String> refs = new ArrayList<>();
        @Option(names = "--hashes", split = ",", paramLabel = "HASH", description = "Item hashes.")
        List<String> hashes = new ArrayList<>();
        @Option(names = "--channels", split = ",", paramLabel = "CHANNEL", description = "Channels.")
        List<String> channels = new ArrayList<>();
        @Option(names = "--content-types", split = ",", paramLabel = "TYPE", description = "content.type values.")
        List<String> contentTypes = new ArrayList<>();
        @Option(names = "--start-date", paramLabel = "SECONDS", description = "Only messages at or after this time.")
        Double startDate;
        @Option(names = "--end-date", paramLabel = "SECONDS", description = "Only messages before this time.")
        Double endDate;
        @Option(names = "--pagination", defaultValue = "20", description = "Page size (default ${DEFAULT-VALUE}).")
        int pagination;
        @Option(names = "--page", defaultValue = "1", description = "Page number (default ${DEFAULT-VALUE}).")
        int page;
        @Option(names = "--sort-order", paramLabel = "-1|1", description = "-1 newest first (default), 1 oldest first.")
        Integer sortOrder;

        public Find(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            MessageQuery.Builder b = MessageQuery.builder()
                    .msgTypes(types.stream().map(String::toUpperCase).toArray(String[]::new))
                    .msgStatuses(statuses.toArray(String[]::new)).addresses(addresses.toArray(String[]::new))
                    .owners(owners.toArray(String[]::new)).refs(refs.toArray(String[]::new)).hashes(hashes)
                    .channels(channels.toArray(String[]::new)).contentTypes(contentTypes.toArray(String[]::new))
                    .startDate(startDate).endDate(endDate).pagination(pagination).page(page).sortOrder(sortOrder);
            JsonNode page = ccn().messagesJson(b.build());
            if (json) {
                printJson(page);
                return 0;
            }
            for (JsonNode m : page.path("messages")) {
                ctx.out().printf("%s  %-8s  %s  %s%n", m.path("item_hash").asText(), m.path("type").asText(),
                        m.path("sender").asText(), OutputFormat.time(m.path("time").asDouble()));
            }
            ctx.out().println(page.path("messages").size() + " of " + page.path("pagination_total").asText("?")
                    + " messages (page " + page.path("pagination_page").asText("1") + ")");
            return 0;
        }
    }

    @Command(name = "forget", description = "Forget (hide) messages you own.")
    public static final class Forget extends BaseCommand {
        @Parameters(index = "0", arity = "1..*", paramLabel = "HASH", description = "Item hashes to forget.")
        List<String> hashes;

        @Option(names = "--reason", description = "Reason written in the FORGET.")
        String reason;

        @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
        String channel;

        public Forget(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            List<String> targets = new ArrayList<>();
            for (String h : hashes) for (String x : h.split(",")) if (!x.isBlank()) targets.add(requireHash(x.strip(), "item hash"));
            EthAccount account = account();
            for (String h : targets) {
                if (ccn().message(h).isEmpty()) throw new CliException("message " + h + " not found on the CCN — nothing was forgotten");
            }
            AlephMessage f = forget(account, targets, reason, channel);
            MessageRecord rec = ccn().message(f.itemHash()).orElse(null);
            if (rec != null && rec.rejected() && Integer.valueOf(ErrorCode.PERMISSION_DENIED.code()).equals(rec.errorCode())) {
                // Ownership (delegation through the security aggregate included) is the CCN's call: say plainly what it decided.
                throw new CliException("permission denied: the CCN refused to forget " + String.join(", ", targets)
                        + " — you can only forget messages sent by or owned by your account " + account.address()
                        + " (FORGET " + f.itemHash() + " rejected with error_code " + rec.errorCode() + ")");
            }
            if (rec == null || rec.rejected()) {
                throw new CliException("the CCN rejected the FORGET " + f.itemHash() + (rec == null ? "" : " (error_code "
                        + rec.errorCode() + (rec.details() == null ? "" : ", " + rec.details()) + ")"));
            }
            if (json) {
                ObjectNode o = tree(java.util.Map.of("item_hash", f.itemHash(), "status", rec.status())).deepCopy();
                o.set("hashes", tree(targets));
                printJson(o);
            } else {
                ctx.out().println("Forgot " + String.join(", ", targets) + " with FORGET " + f.itemHash() + " (" + rec.status() + ")");
            }
            return 0;
        }
    }

    /** The JSON a command reads from --path FILE, else standard input. */
    static JsonNode readJson(Ctx ctx, Path path, String what) {
        String text;
        if (path != null) {
            if (!Files.isRegularFile(path)) throw CliException.usage("no such file: " + path);
            try {
                text = Files.readString(path);
            } catch (IOException e) {
                throw new CliException("cannot read " + path + ": " + e.getMessage());
            }
        } else {
            text = ctx.readStdin();
            if (text.isBlank()) throw CliException.usage("no " + what + ": pass --path FILE or pipe the JSON on standard input");
        }
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw CliException.usage("the " + what + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    /** What post and amend share: sign a POST, send it synchronously, print it. */
    abstract static class Posting extends BaseCommand {
        @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
        String channel;

        Posting(Ctx ctx) {
            super(ctx);
        }

        int send(EthAccount account, PostContent content, String human) throws IOException {
            double now = content.time();
            AlephMessage m = sign(account, MessageType.POST, content, channel, now);
            debug("POST " + m.itemHash() + " type " + content.type());
            PostResult r = postOrFail(m, "the POST");
            AlephMessage shown = m.withContent(Json.MAPPER.valueToTree(content));
            if (json) {
                ObjectNode o = Json.MAPPER.createObjectNode();
                o.put("item_hash", m.itemHash());
                o.put("status", r.messageStatus());
                o.set("message", shown.toJson());
                printJson(o);
            } else {
                printMessage(shown.toJson());
                ctx.out().println(human + " " + m.itemHash() + " (" + r.messageStatus() + ")");
            }
            return 0;
        }
    }

    @Command(name = "post", description = "Post a POST message whose content is the JSON in --path FILE or on standard input.",
            footer = {"", "Examples:", "  aleph message post --path note.json --type note",
                    "  echo '{\"text\": \"hello\"}' | aleph message post --type note --ref <hash>"})
    public static final class PostCmd extends Posting {
        @Option(names = "--path", paramLabel = "FILE", description = "JSON file holding the content (default: standard input).")
        Path path;

        @Option(names = "--type", defaultValue = "test", description = "Post type (content.type; default ${DEFAULT-VALUE}).")
        String type;

        @Option(names = "--ref", description = "Reference (content.ref): an item hash or any string.")
        String ref;

        public PostCmd(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            if (type.isBlank()) throw CliException.usage("--type must not be empty");
            if ("amend".equals(type) && ref == null) throw CliException.usage("--type amend needs --ref HASH (or use `aleph message amend HASH`)");
            JsonNode content = readJson(ctx, path, "content");
            EthAccount account = account();
            return send(account, new PostContent(account.address(), ctx.now(), content, type,
                    ref == null ? null : Json.MAPPER.getNodeFactory().textNode(ref)), "Posted");
        }
    }

    @Command(name = "amend", description = "Amend one of your posts: a POST of type `amend` with ref HASH and the new content "
            + "(JSON from --path FILE or standard input; aleph4j never opens an editor).",
            footer = {"", "Example:", "  echo '{\"text\": \"hello again\"}' | aleph message amend <post hash>"})
    public static final class Amend extends Posting {
        @Parameters(index = "0", paramLabel = "HASH", description = "Item hash of the post to amend.")
        String hash;

        @Option(names = "--path", paramLabel = "FILE", description = "JSON file holding the new content (default: standard input).")
        Path path;

        public Amend(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            requireHash(hash, "item hash");
            JsonNode content = readJson(ctx, path, "new content");
            EthAccount account = account();
            MessageRecord rec = ccn().message(hash).orElseThrow(() ->
                    new CliException("message " + hash + " not found on the CCN at " + ccn().baseUrl() + " — nothing was sent"));
            if (rec.forgotten()) throw new CliException("message " + hash + " has been forgotten — nothing was sent");
            AlephMessage original = rec.message();
            if (original == null || original.type() != MessageType.POST) {
                throw new CliException("message " + hash + " is " + (original == null ? "unreadable" : "a " + original.type())
                        + ", not a POST: only posts can be amended (programs: `aleph program update|persist|unpersist`)");
            }
            if (!rec.processed()) throw new CliException("post " + hash + " is " + rec.status() + ", not processed — nothing was sent");
            JsonNode oc = original.content();
            String owner = oc.path("address").asText();
            if (!owner.equalsIgnoreCase(account.address())) {
                throw new CliException("post " + hash + " belongs to " + owner + ", not to your account " + account.address()
                        + " — use the owner's key");
            }
            String target = hash;
            // An amend names the original post: amending an amend amends the post it amended.
            if ("amend".equals(oc.path("type").asText()) && oc.path("ref").isTextual()) target = oc.path("ref").asText();
            if (!target.equals(hash)) debug(hash + " is an amend of " + target + ": amending " + target);
            return send(account, new PostContent(owner, ctx.now(), content, "amend", Json.MAPPER.getNodeFactory().textNode(target)),
                    "Amended " + target + " with");
        }
    }

    @Command(name = "watch", description = "Follow the messages that refer to REF (amends of a post...), printing each as it arrives.",
            footer = {"", "Example:", "  aleph message watch <post hash> --indent 2"})
    public static final class Watch extends BaseCommand {
        @Parameters(index = "0", paramLabel = "REF", description = "Item hash of the message to watch.")
        String ref;

        @Option(names = "--indent", paramLabel = "N", description = "Indent the printed JSON by N spaces (default: one line per message).")
        Integer indent;

        @Option(names = "--count", paramLabel = "N", description = "Stop after N messages (default: run until interrupted).")
        Integer count;

        @Option(names = "--duration", paramLabel = "SECONDS", description = "Stop after this many seconds (default: run until interrupted).")
        Integer duration;

        @Option(names = "--from-start", description = "First print the messages already referring to REF.")
        boolean fromStart;

        public Watch(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws Exception {
            requireHash(ref, "item hash");
            if (count != null && count < 1) throw CliException.usage("--count must be at least 1");
            if (duration != null && duration < 1) throw CliException.usage("--duration must be at least 1 second");
            MessageRecord rec = ccn().message(ref).orElseThrow(() ->
                    new CliException("message " + ref + " not found on the CCN at " + ccn().baseUrl()));
            if (rec.forgotten()) throw new CliException("message " + ref + " has been forgotten");
            String owner = rec.message() == null ? null : rec.message().content().path("address").asText(rec.message().sender());
            MessageQuery.Builder q = MessageQuery.builder().refs(ref);
            if (owner != null) q.addresses(owner);
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
            java.util.Set<String> printed = java.util.concurrent.ConcurrentHashMap.newKeySet();
            var writer = indent == null ? Json.MAPPER.writer()
                    : Json.MAPPER.writer(new com.fasterxml.jackson.core.util.DefaultPrettyPrinter()
                    .withObjectIndenter(new com.fasterxml.jackson.core.util.DefaultIndenter(" ".repeat(Math.max(0, indent)), "\n")));
            if (!json) ctx.err().println("Watching messages referring to " + ref + (owner == null ? "" : " by " + owner) + " (Ctrl-C to stop)");
            try (var stream = ccn().subscribe(q.build(), fromStart ? 0.0 : null, frame -> {
                debug("frame " + frame.itemHash() + " " + frame.statusText());
                if (!frame.hasHash() || done.getCount() == 0) return;
                if (!"processed".equals(frame.statusText()) || !printed.add(frame.itemHash())) return;
                JsonNode m = frame.raw().path("message").isObject() ? frame.raw().get("message") : frame.raw();
                try {
                    ctx.out().println(writer.writeValueAsString(m));
                } catch (IOException e) {
                    ctx.out().println(m);
                }
                ctx.out().flush();
                if (count != null && seen.incrementAndGet() >= count) done.countDown();
            })) {
                if (duration != null) done.await(duration, java.util.concurrent.TimeUnit.SECONDS);
                else done.await();
            }
            return 0;
        }
    }

    @Command(name = "sign", description = "Sign a message (JSON from --message or standard input) without sending it; prints it with its signature.",
            footer = {"", "The JSON is either a message with chain, sender, type and item_hash (its signature is set),",
                    "or {\"type\": \"POST\", \"content\": {...}[, \"channel\": ...]}: a complete signed inline message is built.",
                    "", "Example:", "  aleph message sign --message '{\"type\": \"POST\", \"content\": {\"type\": \"note\", \"content\": {}}}'"})
    public static final class Sign extends BaseCommand {
        @Option(names = "--message", paramLabel = "JSON", description = "The message to sign (default: standard input).")
        String message;

        public Sign(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            String text = message != null ? message : ctx.readStdin();
            if (text.isBlank()) throw CliException.usage("nothing to sign: pass --message JSON or pipe it on standard input");
            JsonNode in;
            try {
                in = Json.MAPPER.readTree(text);
            } catch (IOException e) {
                throw CliException.usage("the message isn't valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (in == null || !in.isObject()) throw CliException.usage("the message must be a JSON object");
            EthAccount account = account();
            ObjectNode out = ((ObjectNode) in).deepCopy();
            String sender = in.path("sender").asText(null);
            if (sender != null && !sender.equalsIgnoreCase(account.address())) {
                throw new CliException("the message's sender " + sender + " is not your account " + account.address()
                        + " — sign with the sender's key");
            }
            MessageType type;
            try {
                type = MessageType.valueOf(in.path("type").asText("").toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw CliException.usage("the message needs a type (POST, AGGREGATE, STORE, PROGRAM, FORGET, INSTANCE), got '"
                        + in.path("type").asText("") + "'");
            }
            String chain = in.path("chain").asText("ETH");
            if (!"ETH".equals(chain)) throw CliException.usage("chain " + chain + ": only ETH is supported");
            if (in.hasNonNull("item_hash")) {
                String hash = in.get("item_hash").asText();
                if (!org.aleph4j.message.ItemHashes.isItemHash(hash)) throw CliException.usage("item_hash '" + hash + "' is not a valid item hash");
                String buffer = org.aleph4j.message.Signatures.verificationBuffer(org.aleph4j.message.Chain.ETH, account.address(), type, hash);
                out.put("chain", "ETH");
                out.put("sender", account.address());
                out.put("signature", account.signEip191(buffer));
            } else if (in.path("content").isObject()) {
                ObjectNode content = ((ObjectNode) in.get("content")).deepCopy();
                double now = ctx.now();
                if (!content.has("address")) content.put("address", account.address());
                if (!content.has("time")) content.put("time", now);
                org.aleph4j.message.content.Content typed;
                try {
                    typed = org.aleph4j.message.Contents.parse(type, content);
                } catch (org.aleph4j.message.MessageException e) {
                    throw CliException.usage("the content is not a valid " + type + " content: " + e.getMessage());
                }
                AlephMessage m = sign(account, type, typed, in.path("channel").asText(MessageBuilder.DEFAULT_CHANNEL),
                        in.path("time").asDouble(now));
                out = (ObjectNode) m.toJson();
            } else {
                throw CliException.usage("the message needs an item_hash (to sign it as it is) or a content object (to build it)");
            }
            printDocument(out);
            return 0;
        }
    }
}
