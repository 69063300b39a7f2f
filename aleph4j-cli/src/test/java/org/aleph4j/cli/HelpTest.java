package org.aleph4j.cli;

import org.junit.jupiter.api.Test;

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
}
