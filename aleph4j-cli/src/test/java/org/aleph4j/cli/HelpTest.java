package org.aleph4j.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HelpTest {
    @Test
    void everyCommandHasHelpAndAGroupWithoutCommandIsAUsageError() {
        String[][] commands = {{}, {"account"}, {"account", "create"}, {"account", "address"}, {"account", "show"},
                {"account", "balance"}, {"account", "list"}, {"program"}, {"program", "upload"}, {"program", "update"},
                {"program", "persist"}, {"program", "unpersist"}, {"program", "delete"}, {"program", "list"},
                {"program", "logs"}, {"program", "status"}, {"program", "migrate"}, {"message", "get"}, {"message", "find"},
                {"message", "forget"}, {"file", "upload"}, {"file", "download"}, {"unpersist"}};
        for (String[] c : commands) {
            String[] args = java.util.Arrays.copyOf(c, c.length + 1);
            args[c.length] = "--help";
            Cli.Run r = Cli.run(Map.of(), args);
            assertThat(r.code()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Usage: aleph");
        }
        // Help text is wrapped at spaces and commas: compare without whitespace.
        String upload = Cli.run(Map.of(), "program", "upload", "--help").out().replaceAll("\\s+", "");
        assertThat(upload).contains("--persistent-volume=SPEC", "--ephemeral-volume=SPEC", "--immutable-volume=SPEC",
                "--[no-]skip-volume", "aleph4jneverprompts,soithasnoeffect", "name=NAME,mount=/abs/path,size_mib=N",
                "mount=/abs/path,size_mib=N[,comment=TEXT];size_mib1..1000", "ref=HASH,mount=/abs/path");
        assertThat(Cli.run(Map.of(), "program", "--help").out()).contains("migrate");
        assertThat(Cli.run(Map.of(), "program", "migrate", "--help").out()).contains("--to=NODE", "--scheduler-url=URL");
        assertThat(Cli.run(Map.of(), "program", "status", "--help").out()).contains("--scheduler-url=URL", "volumes");
        Cli.Run group = Cli.run(Map.of(), "program");
        assertThat(group.code()).isEqualTo(2);
        assertThat(group.err()).contains("missing command");
    }

    /** Every command of the tree, as the arguments naming it ({@code {"program", "upload"}}; {@code {}} for the root). */
    static List<String[]> everyCommand() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        CommandLine root = AlephCli.commandLine(new Ctx(java.io.InputStream.nullInputStream(), sink, sink, Map.of(),
                java.time.InstantSource.system()));
        List<String[]> all = new ArrayList<>();
        CommandHelp.forEach(root, c -> {
            String[] q = c.getCommandSpec().qualifiedName().split(" ");
            all.add(Arrays.copyOfRange(q, 1, q.length));
        });
        return all;
    }

    @Test
    void everyHelpHasAnExampleAndItsGlobalOptionsInASectionOfTheirOwn() {
        List<String[]> commands = everyCommand();
        assertThat(commands).hasSizeGreaterThan(40);
        for (String[] c : commands) {
            String[] args = Arrays.copyOf(c, c.length + 1);
            args[c.length] = "--help";
            String name = String.join(" ", args);
            Cli.Run r = Cli.run(Map.of(), args);
            assertThat(r.code()).as(name).isZero();
            String help = r.out();
            assertThat(help).as(name).containsPattern("(?m)^Examples?:$").containsPattern("(?m)^  .*\\baleph( |$)");
            int global = help.indexOf("\nGlobal options:\n");
            assertThat(global).as(name + ":%n" + help).isPositive();
            int footer = help.indexOf("\nExample");
            String globals = help.substring(global, footer > global ? footer : help.length()).split("\nCommands:")[0];
            assertThat(globals).as(name).contains("--help");
            int own = help.indexOf("\nOptions:\n");
            String ownOptions = own < 0 ? "" : help.substring(own, global);
            for (String g : CommandHelp.GLOBAL_OPTIONS) {
                assertThat(ownOptions).as(name + " lists " + g + " among its own options").doesNotContainPattern("(?m)^ {2,6}(-\\w, )?" + g + "(=|\\s)");
            }
            if (help.contains("--ccn-url")) {
                assertThat(globals).as(name).contains("--ccn-url", "--json", "--debug", "--timeout=SECONDS", "--private-key-file=PATH");
            }
        }
    }

    @Test
    void logsTakesCrnUrlAndUpstreamsDomainOnly() {
        String logs = Cli.run(Map.of(), "program", "logs", "--help").out();
        assertThat(logs).contains("--crn-url=URL", "--domain=URL").doesNotContain("--crn ", "--crn=");
        String upload = Cli.run(Map.of(), "program", "upload", "--help").out().replaceAll("\\s+", " ");
        assertThat(upload).contains("--timeout-seconds=S The program's own timeout");
    }
}
