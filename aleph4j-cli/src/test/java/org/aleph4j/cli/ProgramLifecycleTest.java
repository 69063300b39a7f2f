package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.Json;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI against a real CCN: accounts, funding, upload (zip and squashfs), unpersist, delete, list. */
class ProgramLifecycleTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Path appDir(Path parent) throws Exception {
        Path src = Files.createDirectories(parent.resolve("hello-app"));
        Files.writeString(src.resolve("main.py"), """
                from fastapi import FastAPI
                app = FastAPI()
                @app.get("/")
                async def root():
                    return {"message": "Hello World"}
                """);
        return src;
    }

    private static String address(Map<String, String> env) {
        Cli.Run r = Cli.run(env, "account", "address");
        assertThat(r.code()).as(r.err()).isZero();
        return r.out().strip();
    }

    @Test
    void accountCreateStoresARawKeyReadableOnlyByItsOwnerAndRefusesToOverwrite() throws Exception {
        Path home = tmp.resolve("home-account");
        Map<String, String> env = Cli.env(net, home, false);
        Cli.Run created = Cli.run(env, "account", "create");
        assertThat(created.code()).as(created.err()).isZero();
        Path key = home.resolve("private-keys/ethereum.key");
        assertThat(created.out()).contains("Private key stored in " + key);
        assertThat(Files.size(key)).isEqualTo(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");

        String addr = address(env);
        assertThat(addr).matches("0x[0-9a-fA-F]{40}");
        assertThat(created.out()).contains(addr);

        Cli.Run again = Cli.run(env, "account", "create");
        assertThat(again.code()).isNotZero();
        assertThat(again.err()).contains("--replace");
        assertThat(address(env)).isEqualTo(addr);

        net.fund(addr, 1234);
        Cli.Run balance = Cli.run(env, "account", "balance", "--json");
        assertThat(balance.code()).as(balance.err()).isZero();
        JsonNode b = Json.MAPPER.readTree(balance.out());
        assertThat(b.path("balance").asText()).isEqualTo("1234");
        assertThat(b.path("available").asText()).isEqualTo("1234");

        Cli.Run list = Cli.run(env, "account", "list");
        assertThat(list.out()).contains("* " + addr);
    }

    @Test
    void persistentZipUploadIsProcessedWithCliDefaultsThenUnpersistDeleteAndList() throws Exception {
        Path home = tmp.resolve("home-zip");
        Map<String, String> env = Cli.env(net, home, false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        String addr = address(env);
        net.fund(addr, 5000);
        Path src = appDir(home);

        Cli.Run up = Cli.run(env, "program", "upload", "--persistent", src.toString(), "main:app", "--json");
        assertThat(up.code()).as(up.err()).isZero();
        JsonNode res = Json.MAPPER.readTree(up.out());
        String hash = res.path("item_hash").asText();
        assertThat(res.path("encoding").asText()).isEqualTo("zip");
        assertThat(res.path("status").asText()).isEqualTo("processed");
        assertThat(res.path("vm_url").asText()).isEqualTo("http://127.0.0.1:4041/vm/" + hash);
        assertThat(res.path("host_url").asText()).matches("http://[a-z2-7]{52}\\.aleph\\.localhost:4041");

        MessageRecord rec = net.client().message(hash).orElseThrow();
        assertThat(rec.status()).isEqualTo("processed");
        JsonNode c = rec.message().content();
        assertThat(c.path("type").asText()).isEqualTo("vm-function");
        assertThat(c.path("address").asText()).isEqualTo(addr);
        assertThat(c.path("allow_amend").asBoolean()).isTrue();
        assertThat(c.path("metadata").path("name").asText()).isEqualTo("hello-app");
        assertThat(c.path("on").path("persistent").asBoolean()).isTrue();
        assertThat(c.path("on").path("http").asBoolean()).isTrue();
        assertThat(c.path("resources").path("vcpus").asInt()).isEqualTo(1);
        assertThat(c.path("resources").path("memory").asInt()).isEqualTo(2048);
        assertThat(c.path("resources").path("seconds").asInt()).isEqualTo(30);
        assertThat(c.path("environment").path("internet").asBoolean()).isFalse();
        assertThat(c.path("environment").path("aleph_api").asBoolean()).isTrue();
        assertThat(c.path("payment").path("type").asText()).isEqualTo("hold");
        assertThat(c.path("code").path("encoding").asText()).isEqualTo("zip");
        assertThat(c.path("code").path("entrypoint").asText()).isEqualTo("main:app");
        assertThat(c.path("code").path("use_latest").asBoolean()).isTrue();
        assertThat(c.path("runtime").path("ref").asText()).isEqualTo(DefaultRuntime.ref());
        assertThat(c.path("runtime").path("comment").asText()).isEqualTo(DefaultRuntime.COMMENT);
        assertThat(c.path("volumes").isArray()).isTrue();

        // The code STORE pins a zip holding main.py at its root.
        String codeRef = c.path("code").path("ref").asText();
        MessageRecord store = net.client().message(codeRef).orElseThrow();
        assertThat(store.status()).isEqualTo("processed");
        String fileHash = store.message().content().path("item_hash").asText();
        Path zip = home.resolve("code.zip");
        net.client().downloadFile(fileHash, zip);
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(zip))) {
            assertThat(z.getNextEntry().getName()).isEqualTo("main.py");
        }

        Cli.Run unp = Cli.run(env, "program", "unpersist", hash, "--json");
        assertThat(unp.code()).as(unp.err()).isZero();
        JsonNode u = Json.MAPPER.readTree(unp.out());
        String newHash = u.path("item_hash").asText();
        assertThat(newHash).isNotEqualTo(hash).hasSize(64);
        assertThat(u.path("previous").asText()).isEqualTo("deleted");
        JsonNode nc = net.client().message(newHash).orElseThrow().message().content();
        assertThat(nc.path("on").path("persistent").asBoolean()).isFalse();
        assertThat(nc.path("replaces").asText()).isEqualTo(hash);
        assertThat(nc.path("code").path("ref").asText()).isEqualTo(codeRef);
        assertThat(net.client().message(hash).orElseThrow().status()).isEqualTo("forgotten");

        Cli.Run listed = Cli.run(env, "program", "list", "--json");
        assertThat(listed.code()).as(listed.err()).isZero();
        JsonNode programs = Json.MAPPER.readTree(listed.out());
        assertThat(programs).hasSize(1);
        assertThat(programs.get(0).path("item_hash").asText()).isEqualTo(newHash);
        assertThat(programs.get(0).path("persistent").asBoolean()).isFalse();

        Cli.Run del = Cli.run(env, "program", "delete", newHash);
        assertThat(del.code()).as(del.err()).isZero();
        assertThat(del.out()).contains("Program " + newHash + " has been deleted.")
                .contains("Code volume " + codeRef + " has been deleted.");
        assertThat(net.client().message(newHash).orElseThrow().status()).isEqualTo("forgotten");
        assertThat(net.client().message(codeRef).orElseThrow().status()).isEqualTo("forgotten");

        Cli.Run empty = Cli.run(env, "program", "list");
        assertThat(empty.code()).isZero();
        assertThat(empty.out()).contains("No programs for " + addr);
    }

    @Test
    void directoryIsPackedAsSquashfsWhenMksquashfsIsInstalled() throws Exception {
        Path home = tmp.resolve("home-squash");
        Map<String, String> env = Cli.env(net, home, true);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        String addr = address(env);
        net.fund(addr, 1000);
        Path src = appDir(home);

        Cli.Run up = Cli.run(env, "program", "upload", src.toString(), "main:app", "--name", "squashy",
                "--vcpus", "2", "--env-vars", "GREETING=hi,MODE=test", "--json");
        assertThat(up.code()).as(up.err()).isZero();
        JsonNode res = Json.MAPPER.readTree(up.out());
        assertThat(res.path("encoding").asText()).isEqualTo("squashfs");
        JsonNode c = net.client().message(res.path("item_hash").asText()).orElseThrow().message().content();
        assertThat(c.path("code").path("encoding").asText()).isEqualTo("squashfs");
        assertThat(c.path("on").path("persistent").asBoolean()).isFalse();
        assertThat(c.path("allow_amend").asBoolean()).isFalse();
        assertThat(c.path("metadata").path("name").asText()).isEqualTo("squashy");
        assertThat(c.path("resources").path("vcpus").asInt()).isEqualTo(2);
        assertThat(c.path("resources").path("memory").asInt()).isEqualTo(4096);
        assertThat(c.path("variables").path("GREETING").asText()).isEqualTo("hi");

        String fileHash = net.client().message(c.path("code").path("ref").asText()).orElseThrow().message().content()
                .path("item_hash").asText();
        byte[] image = net.client().downloadBytes(fileHash);
        assertThat(new String(image, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("hsqs");
    }
}
