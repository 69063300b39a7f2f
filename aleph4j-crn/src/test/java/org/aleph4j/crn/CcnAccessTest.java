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
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.runtime.DefaultRuntime;
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
        net = new TestNetwork(dir);
        ccn = new CcnClient(net.ccn.url(), Duration.ofSeconds(10));
        preparer = new Preparer(ccn, RuntimeRegistry.defaultFor(Path.of("/usr/bin/python3")), dir.resolve("prep"),
                Duration.ofSeconds(10));
    }

    @AfterAll
    void stop() {
        if (ccn != null) ccn.close();
        if (net != null) net.close();
    }

    private ProgramInfo info(String codeRef, boolean useLatest) {
        ProgramContent pc = TestNetwork.programContent(net.user, codeRef, Encoding.ZIP, "run.sh", 10, 256, false,
                DefaultRuntime.ref(), null, useLatest);
        return new ProgramInfo("00".repeat(32), net.user.address(), pc);
    }

    @Test
    void useLatestFollowsTheNewestAmendOfTheOwnerAndPinnedCodeStaysOnItsRef() throws Exception {
        String original = net.store(net.user, TestNetwork.binaryZip("r1"), null);
        assertThat(preparer.resolveCodeRef(info(original, true))).isEqualTo(original);

        net.store(net.user, TestNetwork.binaryZip("r2"), original);
        String newest = net.store(net.user, TestNetwork.binaryZip("r3"), original);

        assertThat(preparer.resolveCodeRef(info(original, true))).isEqualTo(newest);
        assertThat(preparer.resolveCodeRef(info(original, false))).isEqualTo(original);
    }

    @Test
    void preparedCodeComesFromTheNewestAmendAndIsVerifiedIntoTheCache() throws Exception {
        String original = net.store(net.user, TestNetwork.binaryZip("p1"), null);
        String amend = net.store(net.user, TestNetwork.binaryZip("p2"), original);
        String hash = net.program(net.user, original, Encoding.ZIP, "run.sh", 10, 256, false, DefaultRuntime.ref(), null);

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
