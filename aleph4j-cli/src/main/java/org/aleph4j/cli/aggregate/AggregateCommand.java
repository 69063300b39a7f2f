package org.aleph4j.cli.aggregate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.PostResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.AggregateContent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** {@code aleph aggregate post|get|list|forget}. */
@Command(name = "aggregate", description = "Create, read and delete an address's aggregates (key/value documents).",
        subcommands = {AggregateCommand.Post.class, AggregateCommand.Get.class, AggregateCommand.ListCmd.class,
                AggregateCommand.Forget.class})
public final class AggregateCommand extends GroupCommand {

    /** Options of the commands that post an AGGREGATE. */
    abstract static class Posting extends BaseCommand {
        @Option(names = "--address", paramLabel = "ADDRESS",
                description = "Address whose aggregate it is (default: your account; another address must have authorized yours).")
        String address;

        @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
        String channel;

        @Option(names = "--inline", negatable = true,
                description = "Accepted for compatibility: aleph4j always sends aggregate content inline (up to 200 000 characters).")
        boolean inline;

        @Option(names = "--sync", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Wait until the CCN has processed the message (default on, so a rejection is reported; --no-sync returns at once).")
        boolean sync;

        @Option(names = "--print-message", description = "Print the AGGREGATE message.")
        boolean printMessage;

        Posting(Ctx ctx) {
            super(ctx);
        }

        static void refuseSecurity(String key) {
            if ("security".equals(key)) {
                throw new CliException("the `security` aggregate holds your authorizations and is protected: "
                        + "it cannot be changed with `aleph aggregate` (use another key)");
            }
        }

        /** Signs and posts {@code content} under {@code key}; returns the message and its status. */
        Posted post(EthAccount account, String owner, String key, JsonNode content) throws IOException {
            double now = ctx.now();
            AlephMessage m = sign(account, MessageType.AGGREGATE,
                    new AggregateContent(owner, now, JsonNodeFactory.instance.textNode(key), content), channel, now);
            debug("AGGREGATE " + m.itemHash() + " for " + owner + ", key " + key);
            String status;
            if (sync) {
                PostResult r = postOrFail(m, "the AGGREGATE");
                status = r.messageStatus();
            } else {
                PostResult r = ccn().post(m, false);
                status = r.messageStatus() == null ? "pending" : r.messageStatus();
            }
            return new Posted(m, status);
        }

        void print(Posted p, String human) {
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("item_hash", p.message().itemHash());
                o.put("status", p.status());
                o.set("message", p.message().toJson());
                printJson(o);
                return;
            }
            if (printMessage) printMessage(p.message().toJson());
            ctx.out().println(human + " (AGGREGATE " + p.message().itemHash() + ", " + p.status() + ")");
        }
    }

    record Posted(AlephMessage message, String status) {}

    @Command(name = "post", description = "Create or update an aggregate KEY with CONTENT (a JSON object, merged into it).",
            footer = {"", "Examples:", "  aleph aggregate post profile '{\"name\": \"alice\", \"age\": 30}'",
                    "  aleph aggregate post profile '\"alice\"' --subkey name"})
    public static final class Post extends Posting {
        @Parameters(index = "0", paramLabel = "KEY", description = "Aggregate key to create or update.")
        String key;

        @Parameters(index = "1", paramLabel = "CONTENT",
                description = "JSON object; with --subkey any JSON value, or a plain string.")
        String content;

        @Option(names = "--subkey", paramLabel = "SUBKEY", description = "Set only this subkey to CONTENT.")
        String subkey;

        public Post(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            refuseSecurity(key);
            if (key.isBlank()) throw CliException.usage("KEY must not be empty");
            JsonNode value;
            try {
                value = Json.MAPPER.readTree(content);
            } catch (IOException e) {
                value = null;
            }
            if (subkey != null) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.set(subkey, value != null ? value : JsonNodeFactory.instance.textNode(content));
                value = o;
            } else if (value == null || !value.isObject()) {
                throw CliException.usage("CONTENT must be a JSON object, e.g. '{\"a\": 1}' (or pass --subkey NAME to set one value)");
            }
            EthAccount account = account();
            String owner = ownerFor(address, account, MessageType.AGGREGATE);
            Posted p = post(account, owner, key, value);
            print(p, "Aggregate `" + key + (subkey != null ? " ➜ " + subkey : "") + "` has been created/updated");
            return 0;
        }
    }

    @Command(name = "get", description = "Print an aggregate KEY (optionally only some subkeys) as JSON.",
            footer = {"", "Examples:", "  aleph aggregate get profile", "  aleph aggregate get profile --subkeys name,age --address 0x…"})
    public static final class Get extends BaseCommand {
        @Parameters(index = "0", paramLabel = "KEY", description = "Aggregate key.")
        String key;

        @Option(names = "--subkeys", paramLabel = "A,B", description = "Only these subkeys (comma-separated).")
        String subkeys;

        @Option(names = "--address", paramLabel = "ADDRESS", description = "Whose aggregate (default: your account).")
        String address;

        public Get(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            String addr = address != null ? address : account().address();
            JsonNode value = ccn().aggregate(addr, key).map(d -> d.get(key)).orElse(null);
            if (value != null && subkeys != null) {
                List<String> wanted = Arrays.stream(subkeys.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                for (String k : wanted) if (value.has(k)) o.set(k, value.get(k));
                value = o;
            }
            if (value == null || value.isEmpty()) {
                throw new CliException("no aggregate `" + key + "`" + (subkeys != null ? " with subkeys " + subkeys : "")
                        + " for " + addr + " on the CCN at " + ccn().baseUrl());
            }
            printDocument(value);
            return 0;
        }
    }

    @Command(name = "list", description = "List all aggregates of an address.",
            footer = {"", "Example:", "  aleph aggregate list --address 0x… --json"})
    public static final class ListCmd extends BaseCommand {
        @Option(names = "--address", paramLabel = "ADDRESS", description = "Whose aggregates (default: your account).")
        String address;

        public ListCmd(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            String addr = address != null ? address : account().address();
            JsonNode data = ccn().aggregate(addr).orElse(null);
            if (json) {
                printDocument(data == null ? JsonNodeFactory.instance.objectNode() : data);
                return 0;
            }
            if (data == null || data.isEmpty()) {
                ctx.out().println("Address: " + addr);
                ctx.out().println("No aggregate data found");
                return 0;
            }
            ctx.out().println("Address: " + addr);
            ctx.out().println("Keys:");
            data.fields().forEachRemaining(e -> ctx.out().println("  " + e.getKey() + ": " + Json.write(e.getValue())));
            return 0;
        }
    }

    @Command(name = "forget", description = "Delete an aggregate KEY (or some subkeys): posts an AGGREGATE setting them to null, as upstream does.",
            footer = {"", "Examples:", "  aleph aggregate forget profile", "  aleph aggregate forget profile --subkeys age"})
    public static final class Forget extends Posting {
        @Parameters(index = "0", paramLabel = "KEY", description = "Aggregate key to delete.")
        String key;

        @Option(names = "--subkeys", paramLabel = "A,B", description = "Delete only these subkeys (comma-separated).")
        String subkeys;

        public Forget(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            refuseSecurity(key);
            EthAccount account = account();
            String owner = ownerFor(address, account, MessageType.AGGREGATE);
            List<String> names = new ArrayList<>();
            if (subkeys != null) {
                for (String s : subkeys.split(",")) if (!s.isBlank()) names.add(s.strip());
                if (names.isEmpty()) throw CliException.usage("--subkeys names no subkey");
            } else {
                JsonNode current = ccn().aggregate(owner, key).map(d -> d.get(key)).orElse(null);
                if (current == null || !current.isObject() || current.isEmpty()) {
                    throw new CliException("aggregate `" + key + "` not found for " + owner + " — nothing was sent");
                }
                current.fieldNames().forEachRemaining(names::add);
            }
            ObjectNode nulls = JsonNodeFactory.instance.objectNode();
            for (String n : names) nulls.putNull(n);
            Posted p = post(account, owner, key, nulls);
            print(p, "Aggregate `" + key + (subkeys != null ? " ➜ " + String.join(",", names) : "") + "` has been deleted");
            return 0;
        }
    }

}
