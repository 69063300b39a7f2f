package org.aleph4j.scheduler;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.runtime.DefaultRuntime;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A real CcnNode with a funded user, the default runtime published and a code file, for scheduler tests. */
final class TestNetwork implements AutoCloseable {
    static final SecureRandom RANDOM = new SecureRandom();
    final EthAccount oracle = EthAccount.generate(RANDOM);
    final EthAccount user = EthAccount.generate(RANDOM);
    final CcnNode ccn;
    final CcnClient client;
    final String codeRef;

    TestNetwork(Path dir) throws Exception {
        ccn = new CcnNode(CcnConfig.defaults(dir.resolve("ccn")).withOracleAddresses(Set.of(oracle.address()))).start();
        client = new CcnClient(ccn.url());
        fund(user.address(), 1_000_000);
        byte[] runtime = DefaultRuntime.descriptor();
        client.uploadFile(new ByteArrayInputStream(runtime), runtime.length, "runtime.json", DefaultRuntime.storeMessage(), true, null);
        byte[] code = "print('hello from a persistent program')\n".getBytes(StandardCharsets.UTF_8);
        AlephMessage store = sign(user, MessageType.STORE, new StoreContent(user.address(), now(), ItemType.STORAGE,
                ItemHashes.sha256Hex(code), (long) code.length, null, null, null, null));
        client.uploadFile(new ByteArrayInputStream(code), code.length, "main.py", store, true, null);
        codeRef = store.itemHash();
    }

    static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    static AlephMessage sign(EthAccount account, MessageType type, Content content) throws Exception {
        return MessageBuilder.build(account, type, content, MessageBuilder.DEFAULT_CHANNEL, now());
    }

    void fund(String address, double amount) throws Exception {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("chain", "ETH");
        body.put("main_height", System.currentTimeMillis());
        body.putObject("balances").put(address, amount);
        PostResult r = client.post(sign(oracle, MessageType.POST,
                new PostContent(oracle.address(), now(), body, "balances-update", null)), true);
        assertThat(r.messageStatus()).isEqualTo("processed");
    }

    /** Posts a PROGRAM (persistent or not, optionally replacing another) and returns its item hash. */
    String program(boolean persistent, String replaces) throws Exception {
        ProgramContent content = new ProgramBuilder(user.address(), codeRef, "main.py", Encoding.PLAIN)
                .persistent(persistent).updatable(true).time(now()).build();
        if (replaces != null) content = content.withPersistence(persistent, replaces);
        AlephMessage m = sign(user, MessageType.PROGRAM, content);
        PostResult r = client.post(m, true);
        assertThat(r.messageStatus()).as("PROGRAM status: %s", r.body()).isEqualTo("processed");
        return m.itemHash();
    }

    /** Uploads a zip of {@code files} with a STORE and returns the STORE's item hash. */
    String storeZip(java.util.Map<String, String> files) throws Exception {
        java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(bos)) {
            for (var e : files.entrySet()) {
                z.putNextEntry(new java.util.zip.ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        byte[] zip = bos.toByteArray();
        AlephMessage store = sign(user, MessageType.STORE, new StoreContent(user.address(), now(), ItemType.STORAGE,
                ItemHashes.sha256Hex(zip), (long) zip.length, null, null, null, null));
        client.uploadFile(new ByteArrayInputStream(zip), zip.length, "code.zip", store, true, null);
        return store.itemHash();
    }

    /** A persistent binary program of 1 vCPU / 256 MiB from zipped code. */
    String persistentBinary(String codeRef, String entrypoint) throws Exception {
        ProgramContent content = new ProgramBuilder(user.address(), codeRef, entrypoint, Encoding.ZIP)
                .persistent(true).vcpus(1).memory(256).time(now()).build();
        AlephMessage m = sign(user, MessageType.PROGRAM, content);
        PostResult r = client.post(m, true);
        assertThat(r.messageStatus()).as("PROGRAM status: %s", r.body()).isEqualTo("processed");
        return m.itemHash();
    }

    void forget(String itemHash) throws Exception {
        PostResult r = client.post(sign(user, MessageType.FORGET,
                new ForgetContent(user.address(), now(), List.of(itemHash), null, "test")), true);
        assertThat(r.messageStatus()).isEqualTo("processed");
    }

    @Override
    public void close() {
        client.close();
        ccn.close();
    }
}
