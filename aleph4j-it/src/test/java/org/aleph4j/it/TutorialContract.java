package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The user's tutorial, verbatim, through the CLI as a separate process. Subclasses start the
 * network (a devnet process, or one process per role) and set the endpoints.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class TutorialContract {
    static Path dir;
    static Cli cli;
    static String ccn;
    static String scheduler;
    static List<String> crns;
    static String persistentHash;

    /** {@code src/main.py}, verbatim from the user's tutorial. */
    static final String TUTORIAL_MAIN_PY = """
                from fastapi import FastAPI

                app = FastAPI()


                @app.get("/")
                async def root():
                    return {"message": "Hello World"}
                """;

    @Test
    @Order(1)
    void tutorialPersistentUploadAnswersFromEveryCrnAndStatusNamesTheNode() throws Exception {
        Path src = Files.createDirectories(dir.resolve("work/src"));
        Files.writeString(src.resolve("main.py"), TUTORIAL_MAIN_PY);
        Cli.Result upload = cli.run("program upload --persistent ./src/ main:app");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        persistentHash = upload.firstHash();

        for (String crn : crns) {
            await("hello from " + crn).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                Http.Response r = Http.get(crn + "/vm/" + persistentHash + "/");
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                assertThat(r.json().path("message").asText()).isEqualTo("Hello World");
            });
        }
        assertThat(runningOn(persistentHash)).hasSize(1);

        Cli.Result status = cli.run("program status " + persistentHash);
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains(runningOn(persistentHash).get(0));

        Cli.Result logs = cli.run("program logs " + persistentHash + " --crn-url " + runningOn(persistentHash).get(0));
        assertThat(logs.exit()).as(logs.toString()).isZero();
        assertThat(logs.out()).contains("Received logs").containsIgnoringCase("uvicorn running");

        JsonNode content = Http.get(ccn + "/api/v0/messages/" + persistentHash).json().path("message").path("content");
        assertThat(content.path("on").path("persistent").asBoolean()).isTrue();
        assertThat(content.path("on").path("http").asBoolean()).isTrue();
    }

    @Test
    @Order(2)
    void unpersistStopsItEverywhere() throws Exception {
        Cli.Result r = cli.run("unpersist " + persistentHash);
        assertThat(r.exit()).as(r.toString()).isZero();
        String newHash = r.hashAfter("New program:");
        assertThat(newHash).isNotEqualTo(persistentHash);
        await("no CRN runs it").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(runningOn(persistentHash)).isEmpty());
        assertThat(Http.get(ccn + "/api/v0/messages/" + persistentHash).json().path("status").asText()).isEqualTo("forgotten");
        assertThat(Http.get(scheduler + "/api/v0/allocation/" + persistentHash).status()).isEqualTo(404);
    }

    @Test
    @Order(3)
    void onDemandProgramStartsOnTheFirstRequest() throws Exception {
        Path src = Files.createDirectories(dir.resolve("work/ondemand"));
        Files.writeString(src.resolve("main.py"), TUTORIAL_MAIN_PY);
        Cli.Result upload = cli.run("program upload ./ondemand/ main:app");
        assertThat(upload.exit()).as(upload.toString()).isZero();
        String hash = upload.firstHash();
        Http.Response r = Http.get(crns.get(1) + "/vm/" + hash + "/");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("message").asText()).isEqualTo("Hello World");
        assertThat(Http.get(scheduler + "/api/v0/allocation/" + hash).status()).isEqualTo(404);
    }

    /** CRN URLs whose executions list contains {@code hash}. */
    static List<String> runningOn(String hash) {
        return crns.stream().filter(crn -> Http.get(crn + "/about/executions/list").body().contains(hash)).toList();
    }
}
