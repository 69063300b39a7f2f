package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.OutputFormat;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.AlephMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** {@code aleph program list}: the live PROGRAM messages of an address. */
@Command(name = "list", description = "List the live programs of an address.")
public final class ListCommand extends ReachingCommand {
    @Option(names = "--address", paramLabel = "ADDRESS", description = "Owner address (default: your account).")
    String address;

    public ListCommand(Ctx ctx) {
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
            o.put("created", OutputFormat.time(m.time()));
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

    static String truncate(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
}
