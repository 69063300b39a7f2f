package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.crn.execution.Cgroups;
import org.aleph4j.crn.execution.SandboxExecutor;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.message.content.Volume;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three kinds of volumes as an on-demand program in the sandbox sees them, over HTTP through the
 * gateway: an immutable squashfs STORE as a read-only directory and a plain-file STORE as a read-only
 * file, an ephemeral volume empty at each start and size-limited, a persistent one kept across starts;
 * making a btrfs subvolume inside a volume is refused; a program asking for a forbidden mount point, and a node whose executor cannot mount volumes, get a
 * clear error instead of a start without them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnDemandVolumesTest {
    @TempDir
    static Path dir;
    TestNetwork net;
    CrnNode crn;
    CrnNode processCrn;
    String cgroupParent = "aleph4j-voltest-" + UUID.randomUUID().toString().substring(0, 6);
    String code;
    String lib;
    String config;

    @BeforeAll
    void start() throws Exception {
        var support = SandboxExecutor.probe(new Cgroups(Path.of("/sys/fs/cgroup"), "aleph4j"));
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) {
            assertThat(support.usable()).as("ALEPH4J_REQUIRE_SANDBOX=1 but this host cannot run the sandbox: " + support.reason()).isTrue();
        }
        Assumptions.assumeTrue(support.usable(), "this host cannot run the sandbox: " + support.reason());
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        crn = new CrnNode(CrnConfig.defaults(dir.resolve("crn"), net.ccnUrl()).withExecutor(CrnConfig.ExecutorKind.SANDBOX)
                .withCgroupParent(cgroupParent).withIdleTimeout(Duration.ofSeconds(2)), LeaseDirectory.NONE).start();
        processCrn = new CrnNode(CrnConfig.defaults(dir.resolve("crn-process"), net.ccnUrl())
                .withExecutor(CrnConfig.ExecutorKind.PROCESS).withCgroupParent(cgroupParent + "-p"), LeaseDirectory.NONE).start();
        String py;
        try (InputStream in = getClass().getResourceAsStream("/volumes/vols.py")) {
            py = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        code = net.store(net.user(), TestNetwork.zip(Map.of("run.sh", "#!/bin/sh\nexec python3 \"$(dirname \"$0\")/vols.py\"\n",
                "vols.py", py)), null);
        Path tree = Files.createDirectories(dir.resolve("lib-tree"));
        Files.writeString(tree.resolve("hello.txt"), "hello from squashfs");
        Path image = dir.resolve("lib.squashfs");
        Process p = new ProcessBuilder("mksquashfs", tree.toString(), image.toString(), "-noappend", "-quiet").inheritIO().start();
        assertThat(p.waitFor()).isZero();
        lib = net.store(net.user(), Files.readAllBytes(image), null);
        config = net.store(net.user(), "setting=1\n".getBytes(StandardCharsets.UTF_8), null);
    }

    @AfterAll
    void stop() throws Exception {
        if (crn != null) crn.close();
        if (processCrn != null) processCrn.close();
        if (net != null) net.close();
        for (String c : List.of("memory", "cpu", "pids", "freezer", "")) {
            for (String name : List.of(cgroupParent, cgroupParent + "-p")) {
                Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, name + "-b"));
                Files.deleteIfExists(Path.of("/sys/fs/cgroup", c, name));
            }
        }
    }

    private ProgramBuilder program() {
        return net.zipProgram(code, "run.sh").timeoutSeconds(30.0).memory(128)
                .volume(new Volume.Immutable(null, "/mnt/lib", lib, true))
                .volume(new Volume.Immutable(null, "/srv/config.txt", config, true))
                .volume(new Volume.Ephemeral(null, "/scratch", true, 16))
                .volume(new Volume.Persistent(null, "/data/state", null, "host", "state", 16));
    }

    private HttpResponse<String> call(CrnNode node, String hash, String method, String rest) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(node.url() + "/vm/" + hash + rest)).timeout(Duration.ofSeconds(60));
        b = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.noBody()) : b.GET();
        return net.http().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestNetwork.json(r);
    }

    @Test
    void eachKindOfVolumeIsWhatTheProgramAskedFor() throws Exception {
        String hash = net.program(program().time(TestNetwork.now()));
        JsonNode first = ok(call(crn, hash, "GET", "/"));
        assertThat(first.path("lib").asText()).isEqualTo("hello from squashfs");
        assertThat(first.path("lib_write").asText()).isEqualTo("EROFS");
        assertThat(first.path("config").asText()).isEqualTo("setting=1\n");
        assertThat(first.path("config_write").asText()).isIn("EROFS", "EACCES");
        assertThat(first.path("scratch").size()).isZero();
        assertThat(first.path("counter").asInt()).isZero();
        assertThat(ok(call(crn, hash, "POST", "/bump")).path("counter").asInt()).isEqualTo(1);
        assertThat(ok(call(crn, hash, "GET", "/")).path("scratch").toString()).contains("marker");

        // idle, the execution stops; the next request starts a new one
        await("the idle execution stopped").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> !TestNetwork.json(net.get(URI.create(crn.url() + "/about/executions/list"))).has(hash));
        JsonNode again = ok(call(crn, hash, "GET", "/"));
        assertThat(again.path("counter").asInt()).as("the persistent volume survives the restart").isEqualTo(1);
        assertThat(again.path("scratch").size()).as("the ephemeral volume is empty at each start").isZero();

        // a subvolume inside the persistent volume would be left out of its snapshots: the sandbox forbids making one
        JsonNode nested = ok(call(crn, hash, "POST", "/subvolume"));
        assertThat(nested.path("rc").asInt()).as(nested.toString()).isNotZero();
        assertThat(nested.path("stderr").asText()).contains("Operation not permitted");

        JsonNode fill = ok(call(crn, hash, "POST", "/fill-scratch"));
        assertThat(fill.path("error").asText()).isEqualTo("ENOSPC");
        assertThat(fill.path("written_mib").asDouble()).isBetween(12.0, 26.0);
        JsonNode about = TestNetwork.json(net.get(URI.create(crn.url() + "/about")));
        assertThat(about.path("volumes").path("available").asBoolean()).isTrue();
    }

    @Test
    void aForbiddenMountPointIsAClearErrorAndNothingStarts() throws Exception {
        String hash = net.program(net.zipProgram(code, "run.sh").memory(128)
                .volume(new Volume.Ephemeral(null, "/etc/evil", true, 4)).time(TestNetwork.now()));
        HttpResponse<String> r = call(crn, hash, "GET", "/");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        JsonNode body = TestNetwork.json(r);
        assertThat(body.path("error").asText()).contains("volumes[0].mount");
        assertThat(TestNetwork.json(net.get(URI.create(crn.url() + "/about/executions/list"))).has(hash)).isFalse();
    }

    @Test
    void aNodeWhoseExecutorCannotMountVolumesRefusesTheProgramClearly() throws Exception {
        String hash = net.program(program().time(TestNetwork.now()));
        HttpResponse<String> r = call(processCrn, hash, "GET", "/");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(TestNetwork.json(r).path("error").asText()).contains("cannot mount volumes");
        JsonNode about = TestNetwork.json(net.get(URI.create(processCrn.url() + "/about")));
        assertThat(about.path("volumes").path("available").asBoolean()).isFalse();
        assertThat(about.path("volumes").path("reason").asText()).contains("sandbox");
    }
}
