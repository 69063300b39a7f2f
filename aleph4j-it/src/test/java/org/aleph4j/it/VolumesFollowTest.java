package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A persistent program's data follows it, from outside: the fault lab's three sandboxed CRNs (each in
 * its own network namespace), and a counter program uploaded with the CLI with a persistent volume at
 * /data holding a SQLite database; each {@code POST /inc} is answered only after its commit. Across a
 * graceful drain, {@code aleph program migrate} (to any node and to a named one), and the tutorial's
 * unpersist followed by a new upload naming the same volume, no acknowledged increment is lost. Across
 * {@code kill -9} of the holder ({@code aleph4j.volumes.runs} times, 5 by default), what is lost was
 * acknowledged within the snapshot interval (plus the time to ship a snapshot) before the kill. A
 * partitioned holder keeps writing until its watchdog fences it, and none of what it wrote after
 * the fence reaches the next copy. While the snapshot store is unreachable the program keeps running and
 * the node shows its snapshot age growing. {@code PRAGMA integrity_check} is {@code ok} every time. The RPO
 * figures go to {@code target/volume-figures.tsv}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VolumesFollowTest {
    static final int KILL_RUNS = Integer.getInteger("aleph4j.volumes.runs", 5);
    static final FaultLab.Profile PROFILE = FaultLab.Profile.FAST;
    /** The CRNs' default snapshot interval. */
    static final double INTERVAL_S = 2.0;
    /** What a kill may lose: writes of one interval, plus the time a snapshot takes to be stored and accepted. */
    static final double RPO_BOUND_S = INTERVAL_S + 1.5;
    static final Duration MOVE_BOUND = Duration.ofSeconds(60);
    static final String VOLUME = "persistence=host,size_mib=64,name=counter,mount=/data";

    @TempDir static Path tmp;
    FaultLab lab;
    String hash;
    Path figures;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** Increments acknowledged so far (the counter's value must never be below it after a graceful move). */
    long acknowledged;

    @BeforeAll
    void startLab() throws Exception {
        lab = new FaultLab(tmp, "sandbox", PROFILE, 3);
        lab.start();
        Path code = Files.createDirectories(tmp.resolve("work/counter"));
        for (String f : List.of("run.sh", "counter.py")) {
            try (var in = getClass().getResourceAsStream("/counter/" + f)) {
                Files.write(code.resolve(f), in.readAllBytes());
            }
        }
        code.resolve("run.sh").toFile().setExecutable(true);
        hash = upload();
        figures = Files.createDirectories(Path.of("target")).resolve("volume-figures.tsv");
        Files.writeString(figures, "event\trun\tacknowledged\tcounter_after\tlost\trpo_s\tmove_s\n");
        awaitCounter(hash, 0);
    }

    @AfterAll
    void stopLab() {
        if (lab != null) lab.close();
    }

    private String upload() throws Exception {
        Cli.Result up = lab.cli.runArgs("program", "upload", "--persistent", "--persistent-volume", VOLUME, "./counter/", "run.sh");
        assertThat(up.exit()).as(up.toString()).isZero();
        return up.firstHash();
    }

    @Test
    @Order(1)
    void aGracefulDrainLosesNothing() throws Exception {
        int before = awaitCounter(hash, acknowledged);
        increment(hash, 25);
        FaultLab.Crn holder = lab.crns.get(before);
        long t0 = System.nanoTime();
        lab.signal(holder.process.pid(), "TERM");
        try {
            int after = awaitCounter(hash, acknowledged);
            assertThat(after).isNotEqualTo(before);
            JsonNode count = count(hash);
            assertThat(count.path("n").asLong()).as("acknowledged increments after the drain").isEqualTo(acknowledged);
            figure("graceful drain (SIGTERM of the CRN)", 1, acknowledged, count.path("n").asLong(), 0, 0, seconds(t0));
        } finally {
            holder.process.awaitExit(Duration.ofSeconds(60));
            holder.start();
            holder.awaitReady();
        }
    }

    @Test
    @Order(2)
    void migrateToAnyOtherNodeAndToANamedOneLosesNothing() throws Exception {
        for (int run = 1; run <= 2; run++) {
            int before = awaitCounter(hash, acknowledged);
            increment(hash, 20);
            List<String> cmd = new ArrayList<>(List.of("program", "migrate", hash));
            int target = -1;
            if (run == 2) {
                target = (before + 1) % lab.crns.size();
                cmd.addAll(List.of("--to", lab.crns.get(target).address));
            }
            long t0 = System.nanoTime();
            Cli.Result r = lab.cli.runArgs(cmd.toArray(String[]::new));
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).contains("migrating");
            int[] after = {-1};
            await("the program moved").atMost(MOVE_BOUND).pollInterval(Duration.ofMillis(100)).until(() -> {
                after[0] = lab.holder(hash);
                return after[0] >= 0 && after[0] != before && serves(lab.crns.get(after[0]), hash);
            });
            if (target >= 0) assertThat(after[0]).as("the node named with --to").isEqualTo(target);
            JsonNode count = count(hash);
            assertThat(count.path("n").asLong()).as("acknowledged increments after migrate").isEqualTo(acknowledged);
            assertThat(count.path("integrity").asText()).isEqualTo("ok");
            figure(run == 1 ? "aleph program migrate" : "aleph program migrate --to NODE", run, acknowledged,
                    count.path("n").asLong(), 0, 0, seconds(t0));
        }
    }

    @Test
    @Order(3)
    void killNineLosesAtMostTheLastInterval() throws Exception {
        for (int run = 1; run <= KILL_RUNS; run++) {
            int before = awaitCounter(hash, acknowledged);
            FaultLab.Crn holder = lab.crns.get(before);
            List<long[]> acks = new ArrayList<>(); // {n, ack time (nanos)}
            AtomicBoolean stop = new AtomicBoolean();
            URI inc = URI.create(holder.url() + "/vm/" + hash + "/inc");
            Thread writer = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    try {
                        HttpResponse<String> resp = http.send(HttpRequest.newBuilder(inc).timeout(Duration.ofSeconds(2))
                                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                        if (resp.statusCode() != 200) return;
                        long n = Json.MAPPER.readTree(resp.body()).path("n").asLong();
                        synchronized (acks) {
                            acks.add(new long[] {n, System.nanoTime()});
                        }
                        Thread.sleep(20);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            Thread.sleep(3000 + 400L * run); // several snapshot intervals, at a different phase each run
            long killed = System.nanoTime();
            lab.signal(holder.process.pid(), "KILL");
            stop.set(true);
            writer.join(5000);
            try {
                long maxAcked;
                synchronized (acks) {
                    maxAcked = acks.isEmpty() ? acknowledged : acks.getLast()[0];
                }
                int after = awaitCounter(hash, 0, before);
                JsonNode count = count(hash);
                long n = count.path("n").asLong();
                assertThat(count.path("integrity").asText()).isEqualTo("ok");
                assertThat(n).as("never more than was written").isLessThanOrEqualTo(maxAcked);
                assertThat(n).as("never less than what the previous move had").isGreaterThanOrEqualTo(acknowledged);
                double rpo = 0;
                synchronized (acks) {
                    for (long[] a : acks) {
                        if (a[0] == n + 1) rpo = (killed - a[1]) / 1e9; // the oldest lost acknowledgement
                    }
                }
                assertThat(rpo).as("acknowledged writes lost (seconds before the kill)").isLessThanOrEqualTo(RPO_BOUND_S);
                figure("kill -9 of the holding CRN", run, maxAcked, n, maxAcked - n, rpo, seconds(killed));
                acknowledged = n;
                assertThat(after).isNotEqualTo(before);
            } finally {
                holder.start();
                holder.awaitReady();
            }
        }
    }

    @Test
    @Order(4)
    void aPartitionedHoldersWritesAfterItsFenceNeverReachTheNextCopy() throws Exception {
        int before = awaitCounter(hash, acknowledged);
        FaultLab.Crn holder = lab.crns.get(before);
        long oldEpoch = count(hash).path("epoch").asLong();
        double cut = System.currentTimeMillis() / 1000.0;
        lab.blackhole(holder);
        try {
            int after = awaitCounter(hash, acknowledged, before);
            assertThat(after).isNotEqualTo(before);
            // the old copy's fence: its lease as last renewed before the cut, at most lease + drift later
            double fence = cut + (PROFILE.leaseTtl().toMillis() + PROFILE.drift().toMillis()) / 1000.0;
            assertThat(lastTick(hash, oldEpoch)).as("the fenced copy's ticks in the new copy's data").isLessThanOrEqualTo(fence + 0.2);
        } finally {
            lab.heal();
        }
        // healed, the old node may try to ship what it wrote: refused, the new copy's data does not change
        Thread.sleep((long) (INTERVAL_S * 2000) + 1000);
        double fence = cut + (PROFILE.leaseTtl().toMillis() + PROFILE.drift().toMillis()) / 1000.0;
        assertThat(lastTick(hash, oldEpoch)).as("after healing").isLessThanOrEqualTo(fence + 0.2);
        assertThat(count(hash).path("integrity").asText()).isEqualTo("ok");
        acknowledged = count(hash).path("n").asLong();
    }

    @Test
    @Order(5)
    void statusShowsTheVolumeItsLastSnapshotAndEachRestore() throws Exception {
        Cli.Result status = lab.cli.runArgs("program", "status", hash, "--json");
        assertThat(status.exit()).as(status.toString()).isZero();
        JsonNode vm = Json.MAPPER.readTree(status.out()).path("vm");
        JsonNode volume = vm.path("volumes").path(0);
        assertThat(volume.path("name").asText()).isEqualTo("counter");
        assertThat(volume.path("mount").asText()).isEqualTo("/data");
        assertThat(volume.path("last_snapshot").path("seq").asLong()).isPositive();
        assertThat(volume.path("last_snapshot").path("bytes").asLong()).isPositive();
        // one restore per placement: the first one and every move since (drain, 2 migrations, kills, partition)
        assertThat(volume.path("restores").size()).isGreaterThanOrEqualTo(Math.min(20, 1 + 1 + 2 + KILL_RUNS + 1));
        Cli.Result human = lab.cli.runArgs("program", "status", hash);
        assertThat(human.out()).contains("counter").contains("/data");
    }

    @Test
    @Order(6)
    void unpersistThenANewUploadNamingTheVolumeKeepsTheData() throws Exception {
        awaitCounter(hash, acknowledged);
        increment(hash, 5);
        Cli.Result un = lab.cli.runArgs("unpersist", hash);
        assertThat(un.exit()).as(un.toString()).isZero();
        await("the unpersisted program stops").atMost(MOVE_BOUND).pollInterval(Duration.ofMillis(200))
                .until(() -> lab.holder(hash) < 0);
        String next = upload();
        awaitCounter(next, acknowledged);
        JsonNode count = count(next);
        assertThat(count.path("n").asLong()).as("the new program sees the old one's increments").isEqualTo(acknowledged);
        hash = next;
    }

    @Test
    @Order(7)
    void writingPastTheVolumesSizeGivesTheProgramAnErrorAndTheNodeNothing() throws Exception {
        int holder = awaitCounter(hash, acknowledged);
        FaultLab.Crn c = lab.crns.get(holder);
        HttpResponse<String> fill = http.send(HttpRequest.newBuilder(URI.create(c.url() + "/vm/" + hash + "/fill"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode r = Json.MAPPER.readTree(fill.body());
        // the volume's quota: "Disk quota exceeded" at its size, with room left for its snapshots (docs/volumes.md)
        assertThat(r.path("error").asText()).as(fill.body()).isEqualTo("EDQUOT");
        // the program's database, its journal and btrfs metadata share the 64 MiB: 55-60 MiB of blocks fit
        assertThat(r.path("written_mib").asDouble()).isBetween(48.0, 64.0);
        assertThat(Files.getFileStore(c.data).getUsableSpace()).as("the node's data disk").isGreaterThan(64L << 20);
        JsonNode count = count(hash);
        assertThat(count.path("n").asLong()).isEqualTo(acknowledged);
        assertThat(count.path("integrity").asText()).isEqualTo("ok");
    }

    @Test
    @Order(8)
    void anUnreachableSnapshotStoreLetsTheProgramRunAndShowsTheSnapshotAgeGrowing() throws Exception {
        int on = awaitCounter(hash, acknowledged);
        FaultLab.Crn c = lab.crns.get(on);
        lab.ccnRelay.cut(true);
        try {
            increment(hash, 5); // still served: the store is not on the program's path
            await("the snapshot age grows while the store is unreachable").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250)).until(() -> {
                        JsonNode s = snapshotting(c, hash);
                        return s != null && s.path("last_accepted_snapshot_age_ms").asLong() > 3 * INTERVAL_S * 1000
                                && !s.path("last_error").isNull();
                    });
            increment(hash, 5);
        } finally {
            lab.ccnRelay.cut(false);
        }
        await("snapshots accepted again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            JsonNode s = snapshotting(c, hash);
            return s != null && s.path("last_accepted_snapshot_age_ms").asLong() < 2 * INTERVAL_S * 1000;
        });
        // what was written meanwhile is in the network now: a graceful move keeps it
        assertThat(lab.cli.runArgs("program", "migrate", hash).exit()).isZero();
        awaitCounter(hash, acknowledged, on);
        assertThat(count(hash).path("n").asLong()).isEqualTo(acknowledged);
    }

    // ---------------------------------------------------------------- helpers

    /** The holder's view of a program's snapshots (/about), or null. */
    private static JsonNode snapshotting(FaultLab.Crn c, String item) {
        Http.Response about = Http.get(c.url() + "/about");
        if (about.status() != 200) return null;
        for (JsonNode s : about.json().path("volumes").path("snapshotting")) {
            if (s.path("item_hash").asText().equals(item)) return s;
        }
        return null;
    }

    /** Waits until a node serves {@code item} with its counter at least {@code atLeast}; returns the node's index. */
    private int awaitCounter(String item, long atLeast) {
        return awaitCounter(item, atLeast, -1);
    }

    private int awaitCounter(String item, long atLeast, int notOn) {
        int[] on = {-1};
        await("the counter served again").atMost(MOVE_BOUND).pollInterval(Duration.ofMillis(100)).until(() -> {
            on[0] = lab.holder(item);
            if (on[0] < 0 || on[0] == notOn) return false;
            JsonNode c = tryCount(lab.crns.get(on[0]), item);
            return c != null && c.path("n").asLong() >= atLeast;
        });
        return on[0];
    }

    private boolean serves(FaultLab.Crn c, String item) {
        return tryCount(c, item) != null;
    }

    private JsonNode tryCount(FaultLab.Crn c, String item) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(c.url() + "/vm/" + item + "/count"))
                    .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Json.MAPPER.readTree(r.body()) : null;
        } catch (Exception e) {
            return null;
        }
    }

    private JsonNode count(String item) {
        int on = lab.holder(item);
        JsonNode c = on < 0 ? null : tryCount(lab.crns.get(on), item);
        if (c == null) throw new AssertionError("no node serves " + item + "\n" + lab.describe(item));
        return c;
    }

    /** Newest tick time the current copy's database holds for {@code epoch} (0: none). */
    private double lastTick(String item, long epoch) throws Exception {
        int on = lab.holder(item);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(lab.crns.get(on).url() + "/vm/" + item + "/ticks"))
                .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
        for (JsonNode t : Json.MAPPER.readTree(r.body()).path("ticks")) {
            if (t.path("epoch").asLong() == epoch) return t.path("last").asDouble();
        }
        return 0;
    }

    /** {@code times} increments, each acknowledged (after its commit) before the next. */
    private void increment(String item, int times) throws Exception {
        FaultLab.Crn c = lab.crns.get(lab.holder(item));
        for (int i = 0; i < times; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(c.url() + "/vm/" + item + "/inc"))
                    .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            acknowledged = Json.MAPPER.readTree(r.body()).path("n").asLong();
        }
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    private void figure(String event, int run, long acked, long after, long lost, double rpo, double move) throws Exception {
        Files.writeString(figures, String.format(Locale.ROOT, "%s\t%d\t%d\t%d\t%d\t%.3f\t%.3f%n", event, run, acked, after, lost, rpo, move),
                StandardOpenOption.APPEND);
    }
}
