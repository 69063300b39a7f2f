package org.aleph4j.cli.message;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.MessageBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** {@code aleph message ...}. */
@Command(name = "message", description = "Read, find and forget messages.",
        subcommands = {MessageCommand.Get.class, MessageCommand.Find.class, MessageCommand.Forget.class})
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
                printJson(o);
            }
            if (rec.forgotten()) ctx.out().println("Forgotten by: " + String.join(", ", rec.forgottenBy()));
            if (rec.message() != null) printJson(rec.message());
            return 0;
        }
    }

    @Command(name = "find", description = "Query messages (GET /api/v0/messages.json); prints them as JSON.")
    public static final class Find extends BaseCommand {
        @Option(names = "--types", split = ",", paramLabel = "TYPE", description = "Message types (POST, STORE, PROGRAM, FORGET...).")
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
                        m.path("sender").asText(), java.time.Instant.ofEpochMilli((long) (m.path("time").asDouble() * 1000)));
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
}
