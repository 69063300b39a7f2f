package org.aleph4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The layout of every {@code --help}: the command's own options under "Options:", the options every
 * command has under "Global options:", and an example command line in the footer (the command's
 * own {@code footer}, else the one listed here).
 */
public final class CommandHelp {
    /** Options every command takes (declared by {@link BaseCommand}, {@link GroupCommand} and the root). */
    public static final Set<String> GLOBAL_OPTIONS = Set.of("--help", "--version", "--ccn-url", "--private-key",
            "--private-key-file", "--json", "--debug", "--timeout");

    static final String GLOBAL_OPTION_LIST_HEADING = "globalOptionListHeading";
    static final String GLOBAL_OPTION_LIST = "globalOptionList";

    /** Examples of the commands whose {@code @Command} has no footer, by qualified name. */
    private static final Map<String, List<String>> EXAMPLES = Map.ofEntries(
            Map.entry("aleph", List.of("aleph account create", "aleph program upload ./src/ main:app --name hello")),
            Map.entry("aleph account", List.of("aleph account balance --json")),
            Map.entry("aleph account create", List.of("aleph account create", "aleph account create --private-key-file work.key --replace")),
            Map.entry("aleph account address", List.of("aleph account address --private-key-file ~/.aleph-im/private-keys/work.key")),
            Map.entry("aleph account show", List.of("aleph account show --json")),
            Map.entry("aleph account balance", List.of("aleph account balance", "aleph account balance --address 0x9319Ad3B7A8E0eE24f2E639c40D8eD124C5520Ba --json")),
            Map.entry("aleph account list", List.of("aleph account list")),
            Map.entry("aleph program", List.of("aleph program upload ./src/ main:app --persistent", "aleph program list")),
            Map.entry("aleph program update", List.of("aleph program update 5f1c…e9 ./src/")),
            Map.entry("aleph program persist", List.of("aleph program persist 5f1c…e9")),
            Map.entry("aleph program unpersist", List.of("aleph program unpersist 5f1c…e9 --keep-prev")),
            Map.entry("aleph unpersist", List.of("aleph unpersist 5f1c…e9")),
            Map.entry("aleph program delete", List.of("aleph program delete 5f1c…e9 --reason 'no longer needed'")),
            Map.entry("aleph program list", List.of("aleph program list", "aleph program list --address 0x9319Ad3B7A8E0eE24f2E639c40D8eD124C5520Ba --json")),
            Map.entry("aleph program logs", List.of("aleph program logs 5f1c…e9 --crn-url http://127.0.0.1:4041",
                    "aleph program logs 5f1c…e9 --open --grant-minutes 30")),
            Map.entry("aleph program status", List.of("aleph program status 5f1c…e9", "aleph program status 5f1c…e9 --json")),
            Map.entry("aleph program migrate", List.of("aleph program migrate 5f1c…e9", "aleph program migrate 5f1c…e9 --to 4b7d…")),
            Map.entry("aleph message", List.of("aleph message get 5e1d…07")),
            Map.entry("aleph message get", List.of("aleph message get 5e1d…07", "aleph message get 5e1d…07 --json")),
            Map.entry("aleph message find", List.of("aleph message find --message-types PROGRAM --addresses 0x9319…20Ba --json")),
            Map.entry("aleph message forget", List.of("aleph message forget 5e1d…07 --reason 'posted by mistake'")),
            Map.entry("aleph message watch", List.of("aleph message watch 5e1d…07 --indent 2")),
            Map.entry("aleph message sign", List.of("echo '{\"type\": \"POST\", \"content\": {\"type\": \"note\", \"content\": {}}}' | aleph message sign")),
            Map.entry("aleph aggregate", List.of("aleph aggregate get profile")),
            Map.entry("aleph file", List.of("aleph file upload ./notes.txt")),
            Map.entry("aleph file upload", List.of("aleph file upload ./notes.txt", "aleph file upload ./notes.txt --json")),
            Map.entry("aleph file download", List.of("aleph file download 3f2a…c1 --output notes.txt")));

    private CommandHelp() {}

    /** Lays out the help of {@code root} and of all its subcommands. */
    public static void apply(CommandLine root) {
        forEach(root, c -> {
            CommandSpec spec = c.getCommandSpec();
            if (spec.usageMessage().footer().length == 0) {
                List<String> ex = EXAMPLES.get(spec.qualifiedName());
                if (ex != null) spec.usageMessage().footer(footer(ex));
            }
        });
        Map<String, CommandLine.IHelpSectionRenderer> sections = root.getHelpSectionMap();
        sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING, h -> heading(h, false));
        sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, h -> options(h, false));
        sections.put(GLOBAL_OPTION_LIST_HEADING, h -> heading(h, true));
        sections.put(GLOBAL_OPTION_LIST, h -> options(h, true));
        sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST_HEADING,
                h -> h.commandSpec().subcommands().isEmpty() ? "" : String.format("%nCommands:%n"));
        List<String> keys = new ArrayList<>(root.getHelpSectionKeys());
        int i = keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST);
        keys.addAll(i + 1, List.of(GLOBAL_OPTION_LIST_HEADING, GLOBAL_OPTION_LIST));
        // Both setters apply to the whole tree of subcommands.
        root.setHelpSectionMap(sections);
        root.setHelpSectionKeys(keys);
    }

    /** Every command of the tree once (aliases name the same command). */
    public static void forEach(CommandLine root, java.util.function.Consumer<CommandLine> action) {
        Map<CommandLine, Boolean> seen = new IdentityHashMap<>();
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            if (seen.put(c, true) != null) continue;
            action.accept(c);
            todo.addAll(c.getSubcommands().values());
        }
    }

    public static boolean isGlobal(OptionSpec o) {
        return GLOBAL_OPTIONS.contains(o.longestName());
    }

    private static String[] footer(List<String> examples) {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add(examples.size() == 1 ? "Example:" : "Examples:");
        examples.forEach(e -> lines.add("  " + e));
        return lines.toArray(String[]::new);
    }

    private static List<OptionSpec> shown(Help help, boolean global) {
        return help.commandSpec().options().stream().filter(o -> !o.hidden() && isGlobal(o) == global)
                .sorted(Comparator.comparing((OptionSpec o) -> o.longestName().replaceFirst("^-+", "").toLowerCase(java.util.Locale.ROOT)))
                .toList();
    }

    private static String heading(Help help, boolean global) {
        if (shown(help, global).isEmpty()) return "";
        return String.format(global ? "%nGlobal options:%n" : "%nOptions:%n");
    }

    private static String options(Help help, boolean global) {
        List<OptionSpec> opts = shown(help, global);
        if (opts.isEmpty()) return "";
        Help.Layout layout = help.createDefaultLayout();
        Help.IParamLabelRenderer labels = help.createDefaultParamLabelRenderer();
        for (OptionSpec o : opts) layout.addOption(o, labels);
        return layout.toString();
    }
}
