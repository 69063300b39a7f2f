package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.client.UploadProgress;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.runtime.DefaultRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code aleph program runtime-checker}: uploads a bundled program that reports the versions a runtime offers,
 * calls it through the CRN, prints them and deletes the program and its code (reference §4.4).
 */
@Command(name = "runtime-checker", description = "Run a small check program on a runtime and print the versions it offers "
        + "(python, fastapi, uvicorn, aiohttp, pip, OS); the program is deleted afterwards.",
        footer = {"", "Examples:", "  aleph program runtime-checker                 (aleph4j's default runtime)",
                "  aleph program runtime-checker 63f0…9a --json --call-timeout 120"})
public final class RuntimeCheckerCommand extends ReachingCommand {
    static final String RESOURCE = "/org/aleph4j/cli/program/runtime-checker/main.py";

    @Parameters(index = "0", arity = "0..1", paramLabel = "RUNTIME_HASH", description = "Runtime STORE hash (default: aleph4j's default runtime).")
    String runtime;

    @Option(names = "--call-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "Bound of the call through the CRN, the program's cold start included (default ${DEFAULT-VALUE} s).")
    int callTimeout;

    @Option(names = "--channel", defaultValue = MessageBuilder.DEFAULT_CHANNEL, description = "Channel (default ${DEFAULT-VALUE}).")
    String channel;

    public RuntimeCheckerCommand(Ctx ctx) {
        super(ctx);
    }

    @Override
    protected int execute() throws Exception {
        String rt = runtime != null ? requireHash(runtime, "runtime hash") : DefaultRuntime.ref();
        if (callTimeout < 1) throw CliException.usage("--call-timeout must be at least 1 second");
        EthAccount account = account();
        URI reach = crn();
        domain();
        // upstream's official runtimes have no STORE on this network: CCNs accept them and CRNs map them
        if (org.aleph4j.message.runtime.UpstreamRuntimes.find(rt).isEmpty()) {
            MessageRecord rtRec = ccn().message(rt).orElseThrow(() ->
                    new CliException("runtime " + rt + " not found on the CCN at " + ccn().baseUrl() + " — check the hash; nothing was sent"));
            if (rtRec.message() == null || rtRec.message().type() != MessageType.STORE || rtRec.forgotten()) {
                throw new CliException("runtime " + rt + " is not a live STORE message — check the hash; nothing was sent");
            }
        }
        Path dir = Files.createTempDirectory("aleph-runtime-checker-");
        try (InputStream in = RuntimeCheckerCommand.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("the runtime checker program is missing from the CLI");
            Files.copy(in, dir.resolve("main.py"));
        }
        AlephMessage store;
        AlephMessage program;
        try (CodeArchive archive = CodeArchive.pack(dir, Encoding.ZIP, ctx.env())) {
            double now = ctx.now();
            store = sign(account, MessageType.STORE, new StoreContent(account.address(), now, ItemType.STORAGE,
                    sha256(archive.file()), null, null, null, null, null), channel, now);
            ProgramContent content = new ProgramBuilder(account.address(), store.itemHash(), "main:app", Encoding.ZIP)
                    .name("runtime-checker").runtime(rt).computeUnits(1).time(now).build();
            program = sign(account, MessageType.PROGRAM, content, channel, now);
            new FundsCheck(ccn(), ctx.err()).beforeUpload(program, account.address());
            if (!json) ctx.err().println("Uploading the runtime checker for runtime " + rt + "...");
            UploadResult up = ccn().uploadFile(archive.file(), store, true, UploadProgress.NONE);
            debug("code STORE " + store.itemHash() + ": HTTP " + up.httpStatus());
            if (up.httpStatus() >= 400) throw new CliException("code upload failed: HTTP " + up.httpStatus());
        } finally {
            deleteQuietly(dir);
        }
        List<String> toForget = new ArrayList<>(List.of(store.itemHash()));
        JsonNode versions;
        String deleted;
        try {
            PostResult r = ccn().post(program, true);
            debug("PROGRAM " + program.itemHash() + ": " + r.messageStatus());
            if (r.rejected()) {
                MessageRecord rec = ccn().message(program.itemHash()).orElse(null);
                throw new CliException("the CCN rejected the checker program " + program.itemHash() + " (error_code "
                        + (rec == null ? "?" : rec.errorCode()) + ")");
            }
            toForget.addFirst(program.itemHash());
            if (!json) ctx.err().println("Calling it through " + vmUrl(program.itemHash()) + " (up to " + callTimeout + " s)...");
            versions = call(URI.create(vmUrl(program.itemHash())));
        } finally {
            deleted = cleanUp(account, toForget, program.itemHash());
        }
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("runtime", rt);
            o.put("program", program.itemHash());
            o.set("versions", versions);
            o.put("deleted", deleted.equals("deleted"));
            printJson(o);
        } else {
            ctx.out().println("Runtime " + rt + ":");
            versions.fields().forEachRemaining(e -> ctx.out().printf("  %-10s %s%n", e.getKey(), e.getValue().asText()));
            ctx.out().println("Program " + program.itemHash() + " " + (deleted.equals("deleted") ? "has been deleted." : deleted));
        }
        return 0;
    }

    /** GETs the program's answer, bounded by --call-timeout; the CRN starts the program on this first request. */
    private JsonNode call(URI url) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(Math.min(callTimeout, timeoutSeconds)))
                .version(HttpClient.Version.HTTP_1_1).build();
        try (http) {
            HttpResponse<String> resp = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(callTimeout)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (resp.statusCode() != 200) {
                throw new CliException("the check program answered HTTP " + resp.statusCode() + " at " + url + ": "
                        + resp.body().lines().findFirst().orElse("").strip() + " — is the runtime able to serve ASGI (main:app)?");
            }
            JsonNode j = Json.MAPPER.readTree(resp.body());
            if (j == null || !j.isObject()) throw new CliException("the check program at " + url + " did not answer a JSON object");
            return j;
        } catch (java.net.http.HttpTimeoutException e) {
            throw new CliException("the check program did not answer within " + callTimeout + " s at " + url + " — raise --call-timeout");
        } catch (IOException e) {
            throw new CliException("cannot reach the CRN at " + url + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + " — pass --crn-url");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while calling " + url);
        }
    }

    /**
     * Forgets the program, then its code, as `aleph program delete` does (a code still used by a live
     * program is not forgotten, so the program goes first); says what happened instead of failing.
     */
    private String cleanUp(EthAccount account, List<String> hashes, String programHash) {
        List<String> problems = new ArrayList<>();
        for (String h : hashes) {
            try {
                AlephMessage f = forget(account, List.of(h), "Runtime check done (" + programHash + ")", channel);
                MessageRecord rec = ccn().message(f.itemHash()).orElse(null);
                debug("FORGET " + f.itemHash() + " of " + h + ": " + (rec == null ? "?" : rec.status()));
                if (rec == null || rec.rejected()) {
                    problems.add(h + " (FORGET " + f.itemHash() + " " + (rec == null ? "unanswered" : "error_code " + rec.errorCode()) + ")");
                }
            } catch (Exception e) {
                problems.add(h + " (" + e.getMessage() + ")");
            }
        }
        if (problems.isEmpty()) return "deleted";
        String msg = "was not fully deleted: " + String.join(", ", problems) + " — delete it with `aleph program delete " + programHash + "`";
        warn("program " + programHash + " " + msg);
        return msg;
    }

    private static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary directory left behind is harmless
        }
    }
}
