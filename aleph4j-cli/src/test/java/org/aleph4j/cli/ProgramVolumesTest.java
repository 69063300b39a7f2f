package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.message.Json;
import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code aleph program upload --persistent-volume/--ephemeral-volume/--immutable-volume} against a
 * real CCN: the stored PROGRAM's {@code content.volumes} is what upstream's CLI writes, bad values
 * are one-line usage errors that upload nothing, and persist/unpersist keep the volumes.
 */
class ProgramVolumesTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;
    static Map<String, String> env;
    static String address;
    static Path src;
    /** A STORE of ours, usable as an immutable volume. */
    static String libStore;

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
        env = Cli.env(net, tmp.resolve("home"), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        address = Cli.run(env, "account", "address").out().strip();
        net.fund(address, 1_000_000);
        src = Files.createDirectories(tmp.resolve("app"));
        Files.writeString(src.resolve("main.py"), "app = None\n");
        Path lib = Files.writeString(tmp.resolve("lib.bin"), "library bytes\n");
        Cli.Run up = Cli.run(env, "file", "upload", lib.toString(), "--json");
        assertThat(up.code()).as(up.err()).isZero();
        libStore = Json.MAPPER.readTree(up.out()).path("item_hash").asText();
        assertThat(net.client().message(libStore).orElseThrow().status()).isEqualTo("processed");
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    /** Uploads the app with {@code options}; returns the stored PROGRAM after checking it was processed. */
    private static MessageRecord upload(String... options) throws Exception {
        List<String> args = new ArrayList<>(List.of("program", "upload", src.toString(), "main:app", "--json"));
        args.addAll(List.of(options));
        Cli.Run up = Cli.run(env, args.toArray(String[]::new));
        assertThat(up.code()).as(up.err()).isZero();
        String hash = Json.MAPPER.readTree(up.out()).path("item_hash").asText();
        MessageRecord rec = net.client().message(hash).orElseThrow();
        assertThat(rec.status()).isEqualTo("processed");
        return rec;
    }

    /** The stored content.volumes is {@code expected}, and item_content spells it so (upstream's key order). */
    private static void assertVolumes(MessageRecord rec, String expected) throws Exception {
        assertThat(rec.message().content().path("volumes")).isEqualTo(Json.MAPPER.readTree(expected));
        assertThat(rec.message().itemContent()).contains("\"volumes\":" + expected);
    }

    @Test
    void persistentVolumeIsWrittenAsUpstreamWritesIt() throws Exception {
        MessageRecord rec = upload("--persistent", "--persistent-volume", "persistence=host,size_mib=100,name=data,mount=/data");
        assertVolumes(rec, "[{\"mount\":\"/data\",\"persistence\":\"host\",\"name\":\"data\",\"size_mib\":100}]");
        assertThat(rec.message().content().path("on").path("persistent").asBoolean()).isTrue();

        // persistence defaults to host, as upstream's CLI adds it; name is optional in the schema.
        assertVolumes(upload("--persistent-volume", "mount=/state,size_mib=5"),
                "[{\"mount\":\"/state\",\"persistence\":\"host\",\"size_mib\":5}]");
    }

    @Test
    void ephemeralVolumeIsWrittenWithEphemeralTrue() throws Exception {
        assertVolumes(upload("--ephemeral-volume", "mount=/scratch,size_mib=50"),
                "[{\"mount\":\"/scratch\",\"ephemeral\":true,\"size_mib\":50}]");
    }

    @Test
    void immutableVolumeUsesTheLatestVersionUnlessToldOtherwise() throws Exception {
        assertVolumes(upload("--immutable-volume", "ref=" + libStore + ",use_latest=true,mount=/mnt/lib"),
                "[{\"mount\":\"/mnt/lib\",\"ref\":\"" + libStore + "\",\"use_latest\":true}]");
        assertVolumes(upload("--immutable-volume", "mount=/mnt/lib,ref=" + libStore),
                "[{\"mount\":\"/mnt/lib\",\"ref\":\"" + libStore + "\",\"use_latest\":true}]");
        assertVolumes(upload("--immutable-volume", "mount=/mnt/lib,ref=" + libStore + ",use_latest=False"),
                "[{\"mount\":\"/mnt/lib\",\"ref\":\"" + libStore + "\",\"use_latest\":false}]");
    }

    @Test
    void repeatedOptionsGiveVolumesInUpstreamsOrderAndSkipVolumeChangesNothing() throws Exception {
        MessageRecord rec = upload("--immutable-volume", "mount=/mnt/lib,ref=" + libStore,
                "--ephemeral-volume", "mount=/tmp/a,size_mib=1", "--skip-volume",
                "--persistent-volume", "name=one,mount=/one,size_mib=10",
                "--ephemeral-volume", "mount=/tmp/b,size_mib=1000,comment=big scratch",
                "--persistent-volume", "name=two,mount=/two,size_mib=1953125,persistence=store");
        assertVolumes(rec, "[{\"mount\":\"/one\",\"persistence\":\"host\",\"name\":\"one\",\"size_mib\":10},"
                + "{\"mount\":\"/two\",\"persistence\":\"store\",\"name\":\"two\",\"size_mib\":1953125},"
                + "{\"mount\":\"/tmp/a\",\"ephemeral\":true,\"size_mib\":1},"
                + "{\"comment\":\"big scratch\",\"mount\":\"/tmp/b\",\"ephemeral\":true,\"size_mib\":1000},"
                + "{\"mount\":\"/mnt/lib\",\"ref\":\"" + libStore + "\",\"use_latest\":true}]");

        assertVolumes(upload("--skip-volume"), "[]");
        assertVolumes(upload("--no-skip-volume"), "[]");
    }

    @Test
    void humanOutputListsTheVolumes() {
        Cli.Run up = Cli.run(env, "program", "upload", src.toString(), "main:app",
                "--persistent-volume", "name=data,mount=/data,size_mib=100", "--ephemeral-volume", "mount=/scratch,size_mib=50");
        assertThat(up.code()).as(up.err()).isZero();
        assertThat(up.out()).contains("  Volume:    /data: persistent \"data\", 100 MiB, persistence host\n")
                .contains("  Volume:    /scratch: ephemeral, 50 MiB\n");
    }

    @Test
    void unpersistAndPersistKeepTheVolumes() throws Exception {
        String[] volumes = {"--persistent-volume", "name=data,mount=/data,size_mib=100",
                "--ephemeral-volume", "mount=/scratch,size_mib=50", "--immutable-volume", "mount=/mnt/lib,ref=" + libStore};
        for (boolean persistent : new boolean[]{true, false}) {
            List<String> options = new ArrayList<>(List.of(volumes));
            options.add(persistent ? "--persistent" : "--updatable");
            MessageRecord first = upload(options.toArray(String[]::new));
            JsonNode before = first.message().content().path("volumes");
            assertThat(before).hasSize(3);

            Cli.Run flip = Cli.run(env, "program", persistent ? "unpersist" : "persist", first.itemHash(), "--json");
            assertThat(flip.code()).as(flip.err()).isZero();
            MessageRecord next = net.client().message(Json.MAPPER.readTree(flip.out()).path("item_hash").asText()).orElseThrow();
            assertThat(next.status()).isEqualTo("processed");
            assertThat(next.message().content().path("on").path("persistent").asBoolean()).isEqualTo(!persistent);
            assertThat(next.message().content().path("volumes")).isEqualTo(before);
        }
    }

    /** Runs an upload that must fail before anything is sent; returns its single stderr line. */
    private static String refusedUpload(int exitCode, String... options) throws Exception {
        long before = net.messagesFrom(address);
        List<String> args = new ArrayList<>(List.of("program", "upload", src.toString(), "main:app"));
        args.addAll(List.of(options));
        Cli.Run r = Cli.run(env, args.toArray(String[]::new));
        assertThat(r.code()).as("exit code of %s (%s)", args, r.err()).isEqualTo(exitCode);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Error: ").endsWith("\n");
        assertThat(r.err().strip()).doesNotContain("\n");
        assertThat(net.messagesFrom(address)).as("messages stored by the CCN after %s", args).isEqualTo(before);
        return r.err().strip();
    }

    @Test
    void badVolumeValuesAreOneLineUsageErrorsNamingTheOptionAndValueAndUploadNothing() throws Exception {
        String[][] cases = {
                {"--persistent-volume", "name=data,mount=/data", "size_mib=<MiB> is required"},
                {"--persistent-volume", "name=data,mount=/data,size_mib=0", "size_mib must be between 1 and 1953125 MiB, got 0"},
                {"--persistent-volume", "name=data,mount=/data,size_mib=1953126", "size_mib must be between 1 and 1953125 MiB"},
                {"--persistent-volume", "name=data,mount=/data,size_mib=99999999999999999999", "must be between 1 and 1953125"},
                {"--persistent-volume", "name=data,mount=/data,size_mib=10,colour=red", "unknown key 'colour'"},
                {"--persistent-volume", "name=data,mount=/data,size_mib=10,persistence=cloud", "persistence must be host or store"},
                {"--persistent-volume", "name=data,mount=/data,size_mib=10,name=other", "name is given twice"},
                {"--ephemeral-volume", "mount=/scratch,size_mib=1001", "size_mib must be between 1 and 1000 MiB, got 1001"},
                {"--ephemeral-volume", "mount=/scratch,size_mib=ten", "size_mib must be a whole number of MiB, got 'ten'"},
                {"--ephemeral-volume", "mount=/scratch,size_mib=-5", "size_mib must be a whole number of MiB, got '-5'"},
                {"--ephemeral-volume", "mount=/scratch,size_mib=2.5", "must be a whole number"},
                {"--ephemeral-volume", "mount=scratch,size_mib=5", "mount must be an absolute path like /data, got 'scratch'"},
                {"--ephemeral-volume", "mount=/,size_mib=5", "mount must be an absolute path"},
                {"--ephemeral-volume", "size_mib=5", "mount=/absolute/path is required"},
                {"--ephemeral-volume", "mount=/scratch,size_mib=5,name=x", "unknown key 'name'"},
                {"--ephemeral-volume", "mount /scratch", "expected key=value, got 'mount /scratch'"},
                {"--immutable-volume", "mount=/mnt/lib", "ref=<STORE item hash> is required"},
                {"--immutable-volume", "ref=xyz,mount=/mnt/lib", "ref must be the item hash of a STORE message, got 'xyz'"},
                {"--immutable-volume", "ref=" + "ab".repeat(32) + ",mount=/mnt/lib,use_latest=maybe", "use_latest must be true or false"},
                {"--immutable-volume", "ref=" + "ab".repeat(32) + ",mount=/mnt/lib,size_mib=5", "unknown key 'size_mib'"},
        };
        for (String[] c : cases) {
            String line = refusedUpload(2, c[0], c[1]);
            assertThat(line).as("%s %s", c[0], c[1]).startsWith("Error: " + c[0] + " '" + c[1] + "': ").contains(c[2]);
        }
    }

    @Test
    void twoVolumesOnOneMountOrTwoPersistentVolumesWithOneNameAreRefused() throws Exception {
        assertThat(refusedUpload(2, "--persistent-volume", "name=a,mount=/data,size_mib=1",
                "--ephemeral-volume", "mount=/data,size_mib=1"))
                .isEqualTo("Error: --ephemeral-volume 'mount=/data,size_mib=1': another volume is already mounted at /data");
        assertThat(refusedUpload(2, "--persistent-volume", "name=a,mount=/one,size_mib=1",
                "--persistent-volume", "name=a,mount=/two,size_mib=1"))
                .isEqualTo("Error: --persistent-volume 'name=a,mount=/two,size_mib=1': another persistent volume is already named a");
    }

    @Test
    void anImmutableVolumeThatIsNotAStoreOnTheCcnIsRefusedBeforeUploading() throws Exception {
        String unknown = "cd".repeat(32);
        assertThat(refusedUpload(1, "--immutable-volume", "ref=" + unknown + ",mount=/mnt/lib"))
                .startsWith("Error: --immutable-volume ref=" + unknown + ": no message " + unknown + " on the CCN at ");
        MessageRecord program = upload();
        assertThat(refusedUpload(1, "--immutable-volume", "ref=" + program.itemHash() + ",mount=/mnt/lib"))
                .isEqualTo("Error: --immutable-volume ref=" + program.itemHash() + ": message " + program.itemHash()
                        + " is a PROGRAM, not a STORE");
    }
}
