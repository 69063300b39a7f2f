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
                {"program", "logs"}, {"program", "status"}, {"message", "get"}, {"message", "find"},
                {"message", "forget"}, {"file", "upload"}, {"file", "download"}, {"unpersist"}};
        for (String[] c : commands) {
            String[] args = java.util.Arrays.copyOf(c, c.length + 1);
            args[c.length] = "--help";
            Cli.Run r = Cli.run(Map.of(), args);
            assertThat(r.code()).as(String.join(" ", args)).isZero();
            assertThat(r.out()).as(String.join(" ", args)).contains("Usage: aleph");
        }
        Cli.Run group = Cli.run(Map.of(), "program");
        assertThat(group.code()).isEqualTo(2);
        assertThat(group.err()).contains("missing command");
    }
}
