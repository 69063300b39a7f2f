package org.aleph4j.cli.program;

import org.aleph4j.cli.GroupCommand;
import picocli.CommandLine.Command;

/** {@code aleph program ...}: one class per subcommand in this package. */
@Command(name = "program", description = "Upload, persist, update, delete, locate, migrate and check programs.",
        subcommands = {UploadCommand.class, UpdateCommand.class, PersistenceCommand.Persist.class,
                PersistenceCommand.Unpersist.class, DeleteCommand.class, ListCommand.class,
                LogsCommand.class, StatusCommand.class, MigrateCommand.class, RuntimeCheckerCommand.class})
public final class ProgramCommand extends GroupCommand {
}
