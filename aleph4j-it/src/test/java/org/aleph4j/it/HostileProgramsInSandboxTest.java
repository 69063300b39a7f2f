package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The hostile-program attacks under the sandbox executor, and what only the sandbox can promise: the network. */
class HostileProgramsInSandboxTest extends HostileProgramsContract {
    @Override
    String executor() {
        return "sandbox";
    }

    @Test
    void aProgramWithInternetReachesNoneOfTheNodesAddressesNorItsControlPlane() throws Exception {
        Path src = hostileSources("net");
        String hash = upload("program", "upload", src.toString(), "run.sh", "--internet");
        // a service on every address of the host: any that the program reaches accepts a connection
        AtomicInteger accepted = new AtomicInteger();
        try (ServerSocket everywhere = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"))) {
            Thread acceptor = Thread.ofVirtual().start(() -> {
                while (!everywhere.isClosed()) {
                    try (Socket ignored = everywhere.accept()) {
                        accepted.incrementAndGet();
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            List<String> targets = new ArrayList<>();
            for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(nif.getInetAddresses())) {
                    if (a instanceof Inet4Address) targets.add(a.getHostAddress() + ":" + everywhere.getLocalPort());
                }
            }
            int ccnPort = java.net.URI.create(ccn).getPort();
            targets.addAll(List.of("127.0.0.1:" + ccnPort, "127.0.0.1:5432", "127.0.0.1:" + java.net.URI.create(crn).getPort()));
            assertThat(targets).as("host addresses to attack").hasSizeGreaterThan(3);
            StringBuilder q = new StringBuilder("/connect?");
            for (String t : targets) q.append("addr=").append(t).append('&');
            JsonNode r = call(hash, q.toString());
            for (String t : targets) {
                assertThat(r.path(t).path("ok").asBoolean()).as("connect to " + t + ": " + r.path(t)).isFalse();
            }
            everywhere.close();
            acceptor.join(java.time.Duration.ofSeconds(5));
        }
        assertThat(accepted.get()).as("connections the host's services accepted from the program").isZero();
    }
}
