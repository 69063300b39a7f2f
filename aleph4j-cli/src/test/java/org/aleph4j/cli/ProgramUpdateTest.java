package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code aleph program update HASH PATH}: new code as a STORE that amends the original code STORE. */
class ProgramUpdateTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;
    static Map<String, String> env;
    static String address;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
        env = Cli.env(net, tmp.resolve("home"), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        address = Cli.run(env, "account", "address").out().strip();
        net.fund(address, 10_000);
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Path app(String dir, String body) throws Exception {
        Path src = Files.createDirectories(tmp.resolve(dir));
        Files.writeString(src.resolve("main.py"), body);
        return src;
    }

    /** Uploads a zip program (no mksquashfs on the PATH of {@code e}) and returns its hash. */
    private static String uploadProgram(Map<String, String> e, Path src) throws Exception {
        Cli.Run up = Cli.run(e, "program", "upload", src.toString(), "main:app", "--updatable", "--json");
        assertThat(up.code()).as(up.err()).isZero();
        JsonNode res = Json.MAPPER.readTree(up.out());
        assertThat(res.path("status").asText()).isEqualTo("processed");
        assertThat(res.path("encoding").asText()).isEqualTo("zip");
        return res.path("item_hash").asText();
    }

    private static String codeRef(String programHash) throws Exception {
        return net.client().message(programHash).orElseThrow().message().content().path("code").path("ref").asText();
    }

    private static JsonNode storesReferring(String ref) throws Exception {
        return net.client().messagesJson(MessageQuery.builder().msgTypes("STORE").refs(ref).build()).path("messages");
    }

    @Test
    void updateUploadsANewCodeStoreReferringToTheOriginalAndKeepsTheProgramHash() throws Exception {
        String hash = uploadProgram(env, app("v1", "app = 'v1'\n"));
        String codeRef = codeRef(hash);
        assertThat(storesReferring(codeRef)).isEmpty();

        Path v2 = app("v2", "app = 'v2'\n");
        Cli.Run upd = Cli.run(env, "program", "update", hash, v2.toString(), "--json");
        assertThat(upd.code()).as(upd.err()).isZero();
        JsonNode res = Json.MAPPER.readTree(upd.out());
        assertThat(res.path("item_hash").asText()).isEqualTo(hash);
        String newStore = res.path("code_store").asText();
        assertThat(newStore).hasSize(64).isNotEqualTo(codeRef);
        assertThat(res.path("status").asText()).isEqualTo("processed");

        // What the CCN API shows: exactly one STORE amends the original code, it is ours and it is the new code.
        JsonNode amending = storesReferring(codeRef);
        assertThat(amending).hasSize(1);
        JsonNode store = amending.get(0);
        assertThat(store.path("item_hash").asText()).isEqualTo(newStore);
        assertThat(store.path("sender").asText()).isEqualTo(address);
        assertThat(store.path("content").path("ref").asText()).isEqualTo(codeRef);

        byte[] zip = net.client().downloadBytes(store.path("content").path("item_hash").asText());
        try (ZipInputStream z = new ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            assertThat(z.getNextEntry().getName()).isEqualTo("main.py");
            assertThat(new String(z.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("app = 'v2'\n");
        }

        // The program itself is untouched: same hash, still processed, still pointing at the original code STORE.
        MessageRecord program = net.client().message(hash).orElseThrow();
        assertThat(program.status()).isEqualTo("processed");
        assertThat(program.message().content().path("code").path("ref").asText()).isEqualTo(codeRef);
        assertThat(program.message().content().path("code").path("use_latest").asBoolean()).isTrue();
        assertThat(net.client().message(codeRef).orElseThrow().status()).isEqualTo("processed");

        // Plain output says the same to a human.
        Cli.Run again = Cli.run(env, "program", "update", hash, app("v3", "app = 'v3'\n").toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("Your program " + hash + " has been updated to the new source code.")
                .contains("Updated code volume: ");
        assertThat(storesReferring(codeRef)).hasSize(2);
    }

    @Test
    void updateWithADifferentEncodingIsRefusedAndUploadsNothing() throws Exception {
        String hash = uploadProgram(env, app("enc-v1", "app = 1\n"));
        String codeRef = codeRef(hash);
        Path image = tmp.resolve("new-code.squashfs");
        Files.write(image, "hsqs-not-really-an-image".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        long before = net.messagesFrom(address);

        Cli.Run r = Cli.run(env, "program", "update", hash, image.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("Error: ").contains("is squashfs but the program's code is zip")
                .contains("the encoding cannot change on update");
        assertThat(r.out()).isEmpty();
        assertThat(net.messagesFrom(address)).isEqualTo(before);
        assertThat(storesReferring(codeRef)).isEmpty();
    }

    @Test
    void updateOfSomeoneElsesProgramIsRefusedAndUploadsNothing() throws Exception {
        Map<String, String> other = Cli.env(net, tmp.resolve("home-other"), false);
        assertThat(Cli.run(other, "account", "create").code()).isZero();
        String otherAddress = Cli.run(other, "account", "address").out().strip();
        net.fund(otherAddress, 10_000);
        String hash = uploadProgram(other, app("theirs", "app = 'theirs'\n"));
        String codeRef = codeRef(hash);
        long before = net.messagesFrom(address);

        Cli.Run r = Cli.run(env, "program", "update", hash, app("mine", "app = 'mine'\n").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("Error: ").contains("belongs to " + otherAddress);
        assertThat(r.out()).isEmpty();
        assertThat(net.messagesFrom(address)).isEqualTo(before);
        assertThat(storesReferring(codeRef)).isEmpty();
    }
}
