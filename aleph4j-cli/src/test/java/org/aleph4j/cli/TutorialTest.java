package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The user's tutorial, typed as written, in a real `aleph` process whose working directory holds ./src/. */
class TutorialTest {
    @TempDir
    Path tmp;

    private record Proc(int code, String out, String err) {}

    private static Proc aleph(Path cwd, Map<String, String> env, String... args) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new java.util.ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                "org.aleph4j.cli.AlephCli"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().putAll(env);
        Path out = Files.createTempFile(cwd, "out", ".txt");
        Path err = Files.createTempFile(cwd, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("aleph finished within 60 s").isTrue();
            return new Proc(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void uploadPersistentThenUnpersistAsWrittenInTheTutorial() throws Exception {
        try (TestNetwork net = TestNetwork.builder(tmp).start()) {
            Path work = Files.createDirectories(tmp.resolve("work"));
            Path src = Files.createDirectories(work.resolve("src"));
            Files.writeString(src.resolve("main.py"), """
                    from fastapi import FastAPI

                    app = FastAPI()


                    @app.get("/")
                    async def root():
                        return {"message": "Hello World"}
                    """);
            Map<String, String> env = Cli.env(net, tmp.resolve("home"), false);
            assertThat(Cli.run(env, "account", "create").code()).isZero();
            String address = Cli.run(env, "account", "address").out().strip();
            net.fund(address, 2000);

            // aleph program upload --persistent ./src/ main:app
            Proc up = aleph(work, env, "program", "upload", "--persistent", "./src/", "main:app");
            assertThat(up.code()).as(up.err()).isZero();
            Matcher m = Pattern.compile("Your program ([0-9a-f]{64}) has been uploaded").matcher(up.out());
            assertThat(m.find()).as(up.out()).isTrue();
            String messageId = m.group(1);
            assertThat(up.out()).contains("http://127.0.0.1:4041/vm/" + messageId);

            JsonNode program = net.client().message(messageId).orElseThrow().message().content();
            assertThat(program.path("on").path("persistent").asBoolean()).isTrue();
            assertThat(program.path("on").path("http").asBoolean()).isTrue();
            assertThat(program.path("allow_amend").asBoolean()).isTrue();
            assertThat(program.path("metadata").path("name").asText()).isEqualTo("src");
            assertThat(program.path("code").path("entrypoint").asText()).isEqualTo("main:app");
            assertThat(program.path("resources").path("vcpus").asInt()).isEqualTo(1);
            assertThat(program.path("resources").path("memory").asInt()).isEqualTo(2048);

            // aleph unpersist $MESSAGE_ID
            Proc unp = aleph(work, env, "unpersist", messageId);
            assertThat(unp.code()).as(unp.err()).isZero();
            Matcher n = Pattern.compile("New program:\\s+([0-9a-f]{64})").matcher(unp.out());
            assertThat(n.find()).as(unp.out()).isTrue();
            String newId = n.group(1);

            JsonNode replacement = net.client().message(newId).orElseThrow().message().content();
            assertThat(replacement.path("on").path("persistent").asBoolean()).isFalse();
            assertThat(replacement.path("replaces").asText()).isEqualTo(messageId);
            assertThat(replacement.path("time").asDouble()).isEqualTo(program.path("time").asDouble());
            assertThat(replacement.path("code")).isEqualTo(program.path("code"));
            assertThat(replacement.path("resources")).isEqualTo(program.path("resources"));

            var old = net.client().message(messageId).orElseThrow();
            assertThat(old.status()).isEqualTo("forgotten");
            List<AlephMessage> forgets = net.client().messages(MessageQuery.builder().msgTypes("FORGET").addresses(address).build()).messages();
            assertThat(forgets).hasSize(1);
            JsonNode forget = forgets.get(0).content();
            assertThat(forget.path("hashes").get(0).asText()).isEqualTo(messageId);
            // upstream's reason, naming the replacement (how the CLI and the CRN find it, docs/cli.md)
            assertThat(forget.path("reason").asText()).isEqualTo("Program unpersisted: replaced by " + newId);
            assertThat(old.forgottenBy()).contains(forgets.get(0).itemHash());
        }
    }
}
