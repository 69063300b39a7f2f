package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.client.LogsGrant;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.Replacements;
import org.aleph4j.client.crn.CrnClient;
import org.aleph4j.client.crn.OwnerAuth;
import org.aleph4j.client.scheduler.Allocation;
import org.aleph4j.client.scheduler.NodeInfo;
import org.aleph4j.client.scheduler.SchedulerClient;
import org.aleph4j.client.scheduler.SchedulerException;
import org.aleph4j.client.scheduler.VmInfo;
import org.aleph4j.message.EthAccount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code aleph program logs}: a program's execution logs, signed by the owner, from the CRNs that
 * ran it. Without {@code --crn-url} it finds them: the node the scheduler placed a persistent program
 * on, the CRN the CLI is configured with, and the scheduler's nodes; every one of them that has
 * logs of the program is read (at most {@value #MAX_NODES}). {@code --follow} polls with the CRN's
 * {@code since} until interrupted or {@code --duration}.
 */
@Command(name = "logs", description = "Print a program's execution logs (owner only), from the CRNs that ran it: "
        + "each line with its time (ISO 8601, UTC), its stream (stdout, stderr, or node for the node's start/stop markers).")
public final class LogsCommand extends ReachingCommand {
    /** The most CRNs one call asks for logs. */
    static final int MAX_NODES = 32;
    static final Duration POLL = Duration.ofSeconds(1);
    /** How often, in polls, a follower asks the scheduler again where a persistent program runs. */
    static final int RELOCATE_EVERY = 5;
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX").withZone(ZoneOffset.UTC);

    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Option(names = "--domain", paramLabel = "URL",
            description = "Upstream's name for --crn-url: ask only this CRN; by default the CLI finds the CRNs that ran the program.")
    String crnAlias;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until interrupted (Ctrl-C).")
    boolean follow;

    @Option(names = "--duration", paramLabel = "S", description = "With --follow: stop after S seconds.")
    Integer durationSeconds;

    @Option(names = "--limit", paramLabel = "N", description = "Last N entries per node (default 1000; a CRN gives at most 10000).")
    int limit = 1000;

    @Option(names = "--open", description = "Print (and on a desktop, open) a link to the program's page in the scheduler's "
            + "console that shows its logs: signed by your key, valid for --grant-minutes.")
    boolean open;

    @Option(names = "--grant-minutes", paramLabel = "N",
            description = "With --open: how long the link is valid, in minutes (default 15, at most 60).")
    Integer grantMinutes;

    @Mixin
    SchedulerOption scheduler;

    public LogsCommand(Ctx ctx) {
        super(ctx);
    }

    @Override
    protected int execute() throws Exception {
        requireHash(hash, "program hash");
        if (limit < 1) throw new CliException("--limit must be at least 1");
        if (open && (follow || crnAlias != null || crnUrl != null)) {
            throw new CliException("--open prints a console link and reads no logs: drop --follow, --crn-url and --domain");
        }
        if (open) return openLink(account());
        if (grantMinutes != null) throw new CliException("--grant-minutes goes with --open");
        EthAccount account = account();
        String explicit = crnAlias != null ? crnAlias : crnUrl;
        Place place = explicit != null ? new Place(List.of(settings().crnUrl(explicit)), false) : locate();
        Map<URI, List<JsonNode>> found = new LinkedHashMap<>();
        for (URI crn : place.nodes()) {
            List<JsonNode> entries = read(crn, account, Long.MIN_VALUE, explicit != null);
            if (entries != null) found.put(crn, entries);
        }
        if (found.isEmpty()) {
            throw new CliException(explicit != null
                    ? "the CRN at " + explicit + " has no execution of program " + hash
                            + " — find where it runs with `aleph program status " + hash + "`, or drop --crn-url to search"
                    : "no CRN has logs of program " + hash + " (asked " + names(place.nodes())
                            + ") — it has not run yet, or ran on a node the CLI does not know: pass --crn-url URL");
        }
        if (!json) ctx.out().println("Received logs");
        Map<URI, Cursor> cursors = new LinkedHashMap<>();
        for (Map.Entry<URI, List<JsonNode>> f : found.entrySet()) {
            if (!json && found.size() > 1) ctx.out().println("Logs from " + f.getKey() + ":");
            Cursor c = new Cursor();
            print(f.getKey(), c.fresh(f.getValue()));
            cursors.put(f.getKey(), c);
        }
        if (follow) follow(account, cursors, place.persistent() && explicit == null);
        return 0;
    }

    /**
     * {@code --open}: a console link carrying a {@link LogsGrant} for this program, printed, and
     * handed to {@code xdg-open} only when a person at a desktop reads the output.
     */
    private int openLink(EthAccount account) {
        int minutes = grantMinutes == null ? 15 : grantMinutes;
        if (minutes < 1 || minutes > 60) throw new CliException("--grant-minutes must be between 1 and 60");
        LogsGrant grant = LogsGrant.create(account, hash, ctx.clock().instant().plus(Duration.ofMinutes(minutes)));
        String url = consoleLink(scheduler.url(settings()), hash, grant);
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("url", url);
            out.put("expires", DateTimeFormatter.ISO_INSTANT.format(grant.expiresAt()));
            printJson(out);
        } else {
            ctx.out().println(url);
            ctx.err().println("The link shows the logs of " + hash + " until "
                    + DateTimeFormatter.ISO_INSTANT.format(grant.expiresAt()) + "; whoever has it can read them until then.");
        }
        if (ctx.out() == System.out && System.console() != null
                && (notBlank(ctx.env().get("DISPLAY")) || notBlank(ctx.env().get("WAYLAND_DISPLAY")))) {
            try {
                new ProcessBuilder("xdg-open", url).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            } catch (IOException | RuntimeException e) {
                debug("xdg-open: " + e.getMessage()); // the printed link is enough
            }
        }
        return 0;
    }

    /** {@code SCHEDULER/console/#/program/HASH?grant=GRANT}. */
    static String consoleLink(URI scheduler, String hash, LogsGrant grant) {
        return stripSlash(scheduler.toString()) + "/console/#/program/" + hash + "?grant=" + grant.encode();
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    /** Polls each node with {@code since}, bounded by {@code --duration}; follows a persistent program that moved. */
    private void follow(EthAccount account, Map<URI, Cursor> cursors, boolean relocate) throws Exception {
        long end = durationSeconds == null ? Long.MAX_VALUE : System.nanoTime() + Duration.ofSeconds(durationSeconds).toNanos();
        int polls = 0;
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(POLL.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            if (relocate && ++polls % RELOCATE_EVERY == 0) {
                allocated = null;
                locate();
                if (allocated != null && !cursors.containsKey(allocated)) {
                    if (!json) ctx.out().println("--- program " + hash + " now runs on " + allocated + " ---");
                    cursors.put(allocated, new Cursor());
                }
            }
            for (Map.Entry<URI, Cursor> c : cursors.entrySet()) {
                List<JsonNode> entries = read(c.getKey(), account, c.getValue().since(), false);
                if (entries != null) print(c.getKey(), c.getValue().fresh(entries));
            }
            ctx.out().flush();
        }
    }

    /** The node the scheduler placed the persistent program on, as {@link #locate} last found it. */
    private URI allocated;

    /** Where to look: the scheduler's node for a persistent program first, then the configured CRN, then every node. */
    private Place locate() throws IOException {
        MessageRecord rec = ccn().message(hash).orElseThrow(() ->
                new CliException("program " + hash + " not found on the CCN at " + ccn().baseUrl() + " — check the hash"));
        if (rec.forgotten()) {
            String next = Replacements.replacedBy(ccn(), rec).orElse(null);
            throw new CliException("program " + hash + " was forgotten"
                    + (next == null ? " — its logs are no longer served" : "; it was replaced by " + next
                    + " — see `aleph program logs " + next + "`"));
        }
        JsonNode content = rec.message() == null ? null : rec.message().content();
        boolean persistent = content != null && content.path("on").path("persistent").asBoolean(false);
        LinkedHashSet<URI> nodes = new LinkedHashSet<>();
        List<URI> known = new ArrayList<>();
        try {
            SchedulerClient client = scheduler.client(settings(), timeoutSeconds, ctx.clock());
            if (persistent) {
                VmInfo vm = client.vm(hash).orElse(null);
                String url = vm != null && vm.nodeUrl() != null ? vm.nodeUrl()
                        : client.allocation(hash).map(Allocation::node).map(Allocation.Node::url).orElse(null);
                if (url != null) {
                    allocated = uri(url);
                    nodes.add(allocated);
                }
            }
            for (NodeInfo n : client.nodes()) if (n.url() != null) known.add(uri(n.url()));
        } catch (SchedulerException e) {
            debug("scheduler: " + e.getMessage()); // the configured CRN is still asked
        }
        nodes.add(uri(settings().crnUrl(null).toString()));
        nodes.addAll(known);
        return new Place(nodes.stream().limit(MAX_NODES).toList(), persistent);
    }

    private record Place(List<URI> nodes, boolean persistent) {}

    /**
     * One node's entries since {@code since} (inclusive, unix micros), or null when it has none of
     * this program (404) or, unless {@code strict}, could not be reached. A refusal of the owner
     * is always an error: no other node would answer otherwise.
     */
    private List<JsonNode> read(URI crn, EthAccount account, long since, boolean strict) throws CliException {
        String query = "limit=" + limit + (since == Long.MIN_VALUE ? "" : "&since=" + since);
        try (CrnClient client = new CrnClient(crn, Duration.ofSeconds(timeoutSeconds))) {
            try {
                return client.logs(hash, new OwnerAuth(account, domain()), query);
            } catch (CrnClient.CrnException e) {
                // a node of another domain accepts its own host:port as the domain
                if (e.httpStatus() != 401 || vmDomain != null) throw e;
                return client.logs(hash, new OwnerAuth(account, crn.getAuthority()), query);
            }
        } catch (CrnClient.CrnException e) {
            if (e.httpStatus() == 404) return null;
            if (e.httpStatus() == 403) throw new CliException("you are not the owner of program " + hash
                    + " — use the owner's key (--private-key-file)");
            if (e.httpStatus() == 401) throw new CliException("the CRN at " + crn + " refused the signed request: " + e.getMessage()
                    + " — check the clock and --vm-domain (must match the CRN's domain)");
            if (strict) throw new CliException("cannot read the logs of " + hash + " from " + crn + ": " + e.getMessage());
            debug("logs from " + crn + ": " + e.getMessage());
            return null;
        }
    }

    private void print(URI crn, List<JsonNode> entries) {
        for (JsonNode e : entries) {
            if (json) {
                ObjectNode o = ((ObjectNode) e.deepCopy()).put("crn_url", crn.toString());
                ctx.out().println(o.toString());
            } else {
                ctx.out().println(line(e));
            }
        }
    }

    /** One entry as the user reads it: {@code 2026-12-01T19:45:03.123Z stdout message}. */
    static String line(JsonNode e) {
        long micros = micros(e);
        String time = micros <= 0 ? "-" : ISO.format(Instant.ofEpochSecond(micros / 1_000_000, (micros % 1_000_000) * 1000));
        String file = e.path("file").asText("");
        String tag = switch (file) {
            case "stdout", "stderr" -> file;
            case "node" -> "node  ";
            default -> file.isEmpty() ? "-     " : file;
        };
        return time + " " + tag + " " + e.path("MESSAGE").asText();
    }

    static long micros(JsonNode e) {
        try {
            return Long.parseLong(e.path("__REALTIME_TIMESTAMP").asText("0"));
        } catch (NumberFormatException ex) {
            return 0;
        }
    }

    private static String names(List<URI> nodes) {
        return nodes.isEmpty() ? "none" : String.join(", ", nodes.stream().map(URI::toString).toList());
    }

    private static URI uri(String url) {
        return URI.create(stripSlash(url));
    }

    /**
     * What a follower has printed from one node: the newest time, and the entries of that
     * microsecond (the CRN's {@code since} is inclusive, so they come again and are dropped).
     */
    static final class Cursor {
        private long newest = Long.MIN_VALUE;
        private final Set<String> atNewest = new HashSet<>();

        long since() {
            return newest;
        }

        List<JsonNode> fresh(List<JsonNode> entries) {
            List<JsonNode> out = new ArrayList<>();
            for (JsonNode e : entries) {
                long t = micros(e);
                String key = e.path("file").asText() + "\u0000" + e.path("MESSAGE").asText();
                if (t < newest || (t == newest && atNewest.contains(key))) continue;
                if (t > newest) {
                    newest = t;
                    atNewest.clear();
                }
                atNewest.add(key);
                out.add(e);
            }
            return out;
        }
    }
}
