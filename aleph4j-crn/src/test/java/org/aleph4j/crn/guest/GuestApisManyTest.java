package org.aleph4j.crn.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import org.aleph4j.message.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One node's guest APIs for many programs at once: each program's socket answers with its own
 * properties (a per-connector thread budget once refused the 33rd program's API).
 */
class GuestApisManyTest {
    static final int PROGRAMS = 200;

    @Test
    void twoHundredProgramsEachGetTheirOwnAnswer(@TempDir Path dir) throws Exception {
        try (GuestApis apis = new GuestApis(URI.create("http://127.0.0.1:9"), GuestApis.Settings.DEFAULT, InstantSource.system())) {
            for (int i = 0; i < PROGRAMS; i++) apis.open("exec-" + i, hash(i), dir.resolve(i + ".sock"));
            for (int i = 0; i < PROGRAMS; i++) {
                assertThat(Json.parseTree(call(dir.resolve(i + ".sock"), "GET", "/properties", null)).isObject()).isTrue();
                call(dir.resolve(i + ".sock"), "PUT", "/cache/who", "program " + i);
            }
            // each socket is its own program: the same key holds what that program wrote
            for (int i = 0; i < PROGRAMS; i++) {
                assertThat(call(dir.resolve(i + ".sock"), "GET", "/cache/who", null)).isEqualTo("program " + i);
            }
            apis.close("exec-7");
            assertThat(dir.resolve("7.sock")).doesNotExist();
        }
    }

    private static String hash(int i) {
        return String.format("%064x", i + 1);
    }

    private static String call(Path socket, String method, String path, String body) throws Exception {
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            ch.write(ByteBuffer.wrap(bytes));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(text).startsWith("HTTP/1.1 200");
            return text.substring(text.indexOf("\r\n\r\n") + 4);
        }
    }
}
