package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.MoveRecord;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.message.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code aleph program status}: where a program runs, from the CCN and the scheduler. */
@Command(name = "status", description = "Show where a program runs (scheduler allocation: node, URL, epoch, since, previous nodes).")
public final class StatusCommand extends ReachingCommand {
    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Option(names = "--scheduler-url", paramLabel = "URL",
            description = "Scheduler API (env ALEPH_SCHEDULER_URL, config scheduler_url; default http://127.0.0.1:4030).")
    String schedulerUrl;

    public StatusCommand(Ctx ctx) {
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
