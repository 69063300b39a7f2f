package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.Replacements;
import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.message.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** {@code aleph program status}: where a program runs, from the CCN and the scheduler. */
@Command(name = "status", description = "Show where a program runs (scheduler allocation: node, URL, epoch, since, previous nodes) and its persistent volumes (last snapshot, restores).")
public final class StatusCommand extends ReachingCommand {
    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Mixin
    SchedulerOption scheduler;

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
        URI sched = scheduler.url(settings());
        Optional<VmInfo> vm = Optional.empty();
        Optional<Allocation> allocation = Optional.empty();
        Map<String, String> nodeUrls = new HashMap<>();
        if (persistent && rec.processed()) {
            SchedulerClient client = scheduler.client(settings(), timeoutSeconds, ctx.clock());
            try {
                vm = client.vm(hash);
                allocation = client.allocation(hash);
                if (vm.isPresent() && !vm.get().history().isEmpty()) {
                    client.nodes().forEach(n -> nodeUrls.put(n.nodeHash(), n.url()));
                }
            } catch (SchedulerException e) {
                throw SchedulerOption.failure(sched, e);
            }
        }
        String replacedBy = rec.forgotten() ? Replacements.replacedBy(ccn(), rec).orElse(null) : null;
        if (json) {
            ObjectNode o = json(hash, rec.status(), persistent, vm.orElse(null), allocation.orElse(null),
                    persistent ? null : vmUrl(hash));
            if (replacedBy != null) o.put("replaced_by", replacedBy);
            printJson(o);
            return 0;
        }
        ctx.out().println("Program:   " + hash);
        ctx.out().println("Message:   " + rec.status());
        if (replacedBy != null) {
            ctx.out().println("Replaced by: " + replacedBy + " — see `aleph program status " + replacedBy + "`");
        }
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
        StatusView.persistent(hash, vm.orElse(null), allocation.orElse(null), nodeUrls, ctx.clock().instant())
                .forEach(ctx.out()::println);
        return 0;
    }

    /**
     * The {@code --json} output: the message status ({@code status}, as in every command), the scheduler's view ({@code vm}, with its
     * {@code volumes}) and allocation when there are any, and the URL of an on-demand program.
     */
    static ObjectNode json(String hash, String messageStatus, boolean persistent, VmInfo vm, Allocation allocation, String vmUrl) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("item_hash", hash);
        o.put("status", messageStatus);
        o.put("persistent", persistent);
        if (vm != null) {
            // the state and why, at the top as the human output shows them (the same values as in vm)
            o.put("state", vm.status());
            if (vm.schedulingStatus() != null) o.put("scheduling_status", vm.schedulingStatus());
            if (vm.reason() != null) o.put("reason", vm.reason());
            if (vm.lastError() != null) o.put("last_error", vm.lastError());
            o.set("vm", Json.MAPPER.valueToTree(vm));
        }
        if (allocation != null) o.set("allocation", Json.MAPPER.valueToTree(allocation));
        if (vmUrl != null) o.put("vm_url", vmUrl);
        return o;
    }
}
