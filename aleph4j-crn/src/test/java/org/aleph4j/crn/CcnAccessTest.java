package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.aleph4j.client.CcnClient;
import org.aleph4j.crn.lease.LeaseDirectory;
import org.aleph4j.crn.prepare.Preparer;
import org.aleph4j.crn.prepare.ProgramInfo;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.testkit.SamplePrograms;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** How the CRN reads the CCN through the client SDK: use_latest resolution (reference §3.4) and CCN failures. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CcnAccessTest {
    @TempDir
    static Path dir;
    TestNetwork net;
    CcnClient ccn;
    Preparer preparer;

    @BeforeAll
    void start() throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
        ccn = new CcnClient(net.ccnUrl(), Duration.ofSeconds(10));
        preparer = new Preparer(ccn, RuntimeRegistry.defaultFor(Path.of("/usr/bin/python3")), dir.resolve("prep"),
                Duration.ofSeconds(10));
    }

    @AfterAll
    void stop() {
        if (ccn != null) ccn.close();
        if (net != null) net.close();
    }

    private ProgramInfo info(String codeRef, boolean useLatest) {
        ProgramContent pc = net.zipProgram(codeRef, "run.sh").timeoutSeconds(10.0).memory(256).time(TestNetwork.now()).build();
        if (!useLatest) pc = TestNetwork.pinCode(pc);
        return new ProgramInfo("00".repeat(32), net.user().address(), pc);
    }

    @Test
    void useLatestFollowsTheNewestAmendOfTheOwnerAndPinnedCodeStaysOnItsRef() throws Exception {
        String original = net.store(net.user(), SamplePrograms.binaryZip("r1"), null);
        assertThat(preparer.resolveCodeRef(info(original, true))).isEqualTo(original);

        net.store(net.user(), SamplePrograms.binaryZip("r2"), original);
        String newest = net.store(net.user(), SamplePrograms.binaryZip("r3"), original);

        assertThat(preparer.resolveCodeRef(info(original, true))).isEqualTo(newest);
        assertThat(preparer.resolveCodeRef(info(original, false))).isEqualTo(original);
    }

    @Test
    void preparedCodeComesFromTheNewestAmendAndIsVerifiedIntoTheCache() throws Exception {
        String original = net.store(net.user(), SamplePrograms.binaryZip("p1"), null);
        String amend = net.store(net.user(), SamplePrograms.binaryZip("p2"), original);
        String hash = net.program(net.zipProgram(original, "run.sh").timeoutSeconds(10.0).memory(256));

        var prepared = preparer.prepare(preparer.program(hash));

        assertThat(prepared.codeRef()).isEqualTo(amend);
        assertThat(prepared.codeDir().resolve("run.sh")).content().contains("VERSION_TAG=p2");
        assertThat(dir.resolve("prep/files").resolve(prepared.codeFileHash())).isRegularFile();
    }

    @Test
    void unreachableCcnIsA503ForProgramLookupsAndCodeResolution() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (CcnClient down = new CcnClient(URI.create("http://127.0.0.1:" + closedPort), Duration.ofSeconds(2))) {
            Preparer p = new Preparer(down, RuntimeRegistry.defaultFor(Path.of("/usr/bin/python3")), dir.resolve("down"),
                    Duration.ofSeconds(2));
            assertThatThrownBy(() -> p.program("ab".repeat(32)))
                    .isInstanceOfSatisfying(CrnException.class, e -> {
                        assertThat(e.status()).isEqualTo(503);
                        assertThat(e.getMessage()).startsWith("CCN unavailable");
                    });
            assertThatThrownBy(() -> p.resolveCodeRef(info("cd".repeat(32), true)))
                    .isInstanceOfSatisfying(CrnException.class, e -> assertThat(e.status()).isEqualTo(503));
        }
    }

    @Test
    void silentCcnGivesA503JsonErrorWithinThePrepareTimeout() throws Exception {
        // accepts connections (kernel backlog) but never answers
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            URI ccnUrl = URI.create("http://127.0.0.1:" + silent.getLocalPort());
            CrnConfig config = new CrnConfig(dir.resolve("crn-silent"), "127.0.0.1", 0, null, ccnUrl, null, null, null,
                    Duration.ofSeconds(2), null, null, null);
            try (CrnNode crn = new CrnNode(config, LeaseDirectory.NONE).start()) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = net.get(URI.create(crn.url() + "/vm/" + "ab".repeat(32) + "/"));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(r.statusCode()).isEqualTo(503);
                JsonNode body = TestNetwork.json(r);
                assertThat(body.path("error").asText()).startsWith("CCN unavailable").contains("timed out");
                assertThat(body.path("error_code").asInt()).isEqualTo(503);
                assertThat(body.path("details").path("item_hash").asText()).isEqualTo("ab".repeat(32));
                assertThat(ms).isLessThan(10_000);
            }
        }
    }
}
