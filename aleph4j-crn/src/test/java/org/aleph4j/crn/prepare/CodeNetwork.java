package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.testkit.TestNetwork;

/** A real CCN with a funded user who publishes code archives, and helpers to build hostile ones. */
final class CodeNetwork implements AutoCloseable {
    final TestNetwork net;

    CodeNetwork(Path dir) throws Exception {
        net = TestNetwork.builder(dir).fundedUser(10_000_000).start();
    }

    /** The user's PROGRAM running {@code entrypoint} from the archive {@code bytes}, as the CRN sees it once verified. */
    ProgramInfo program(byte[] bytes, Encoding enc, String entrypoint) throws Exception {
        String ref = net.store(net.user(), bytes, null);
        ProgramContent pc = TestNetwork.pinCode(net.programBuilder(ref, entrypoint, enc).timeoutSeconds(10.0).memory(256)
                .time(TestNetwork.now()).build());
        return new ProgramInfo(ItemHashes.sha256Hex(bytes), net.user().address(), pc);
    }

    /**
     * A squashfs image of {@code src} built by the real mksquashfs, with extra entries from pseudo
     * definitions (devices, FIFOs, sockets, set-id files can be made that way without touching the host).
     */
    static byte[] squashfs(Path src, Path work, String... pseudo) throws Exception {
        Path img = Files.createTempFile(work, "img", ".sqfs");
        Files.delete(img);
        List<String> cmd = new ArrayList<>(List.of("mksquashfs", src.toString(), img.toString(), "-noappend", "-quiet",
                "-no-progress", "-comp", "gzip"));
        for (String p : pseudo) cmd.addAll(List.of("-p", p));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("mksquashfs failed: " + new String(out));
        }
        byte[] bytes = Files.readAllBytes(img);
        Files.delete(img);
        return bytes;
    }

    @Override
    public void close() {
        net.close();
    }
}
