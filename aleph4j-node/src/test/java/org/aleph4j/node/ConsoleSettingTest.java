package org.aleph4j.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The scheduler's console setting as an operator sets it: on by default, off by flag, variable or key. */
class ConsoleSettingTest {
    @Test
    void theConsoleIsOnUnlessTurnedOff() throws Exception {
        Path data = Path.of("/tmp/unused");
        assertThat(Roles.scheduler(Settings.of(Map.of()), data).console()).isTrue();
        assertThat(Roles.scheduler(Settings.of(Map.of("console", "false")), data).console()).isFalse();
        assertThat(Roles.scheduler(Settings.resolve(null, Map.of("ALEPH4J_CONSOLE", "false"), Map.of()), data).console()).isFalse();
        AlephNode.Scheduler off = CommandLine.populateCommand(new AlephNode.Scheduler(), "--no-console");
        assertThat(off.noConsole).isTrue();
        assertThat(CommandLine.populateCommand(new AlephNode.Scheduler()).noConsole).isFalse();
        assertThat(new CommandLine(new AlephNode.Scheduler()).getUsageMessage()).contains("--no-console");
    }
}
