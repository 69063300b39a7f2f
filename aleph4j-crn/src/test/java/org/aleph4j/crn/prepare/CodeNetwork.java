package org.aleph4j.crn.prepare;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.PostResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Environment;
import org.aleph4j.message.content.Interface;
import org.aleph4j.message.content.Payment;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.Resources;
import org.aleph4j.message.content.Runtime;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.content.Triggers;
import org.aleph4j.message.runtime.DefaultRuntime;

/** A real CCN with a funded user who publishes code archives, and helpers to build hostile ones. */
final class CodeNetwork implements AutoCloseable {
    final EthAccount oracle = EthAccount.generate(new SecureRandom());
    final EthAccount user = EthAccount.generate(new SecureRandom());
    final CcnNode ccn;
    final CcnClient client;

    CodeNetwork(Path dir) throws Exception {
        ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn")).withPort(0)
                .withOracleAddresses(Set.of(oracle.address().toLowerCase(), oracle.address()))).start();
        client = new CcnClient(ccn.url(), Duration.ofSeconds(20));
        var content = Json.MAPPER.createObjectNode();
        content.put("chain", "ETH");
        content.putObject("balances").put(user.address(), 10_000_000);
        PostContent post = new PostContent(oracle.address(), now(), content, "balances-update", null);
        PostResult r = client.post(MessageBuilder.build(oracle, MessageType.POST, post, null, now()), true);
        if (!r.processed()) throw new IllegalStateException("funding failed: " + r.body());
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    /** Uploads {@code bytes} with a STORE signed by the user; returns the STORE's item hash. */
    String store(byte[] bytes) throws Exception {
        StoreContent sc = new StoreContent(user.address(), now(), ItemType.STORAGE, ItemHashes.sha256Hex(bytes), null, null,
                null, null, null);
        AlephMessage m = MessageBuilder.build(user, MessageType.STORE, sc, null, now());
        var r = client.uploadFile(new ByteArrayInputStream(bytes), bytes.length, "code", m, true, null);
        if (r.httpStatus() >= 300) throw new IllegalStateException("upload failed: " + r.body());
        return m.itemHash();
    }

    /** The user's PROGRAM running {@code entrypoint} from the archive {@code bytes}, as the CRN sees it once verified. */
    ProgramInfo program(byte[] bytes, Encoding enc, String entrypoint) throws Exception {
        String ref = store(bytes);
        ProgramContent pc = new ProgramContent(user.address(), now(), true, Json.MAPPER.createObjectNode().put("name", "t"),
                List.of(), null, new Environment(false, false, true, false), new Resources(1, 256, 10, null),
                new Payment("ETH", null, "hold"), null, List.of(), null, ProgramContent.TYPE,
                new CodeContent(enc, entrypoint, ref, entrypoint.contains(":") ? Interface.ASGI : Interface.BINARY, null, false),
                new Runtime(DefaultRuntime.ref(), true, DefaultRuntime.COMMENT), null, null, new Triggers(true, null, false));
        return new ProgramInfo(ItemHashes.sha256Hex(bytes), user.address(), pc);
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
        client.close();
        ccn.close();
    }
}
