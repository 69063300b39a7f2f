package org.aleph4j.scheduler.console;

import java.util.regex.Pattern;

/**
 * Sorts a scheduler history reason into the few categories the console shows. Pure: it reads the
 * engine's wording ({@code scheduled on …}, {@code moved from A to B: why}, {@code lease lapsed: why},
 * {@code revoking: why}, {@code released by N: why}, {@code removed: why}, {@code migration asked by the owner}).
 */
public final class ReasonCategory {
    public static final String PLACED = "placed";
    public static final String NODE_LOST = "node-lost";
    public static final String DRAIN = "drain";
    public static final String MIGRATE = "migrate";
    public static final String UNPERSIST = "unpersist";
    public static final String CRASH_LOOP = "crash-loop";
    public static final String OTHER = "other";

    private static final Pattern MOVED = Pattern.compile("^moved from \\S+ to \\S+: ");
    private static final Pattern RELEASED = Pattern.compile("^released by \\S+: ");

    private ReasonCategory() {}

    public static String of(String reason) {
        if (reason == null) return OTHER;
        String why = reason.strip();
        if (why.startsWith("scheduled on ")) return PLACED;
        if (why.startsWith("migration asked by the owner")) return MIGRATE;
        why = MOVED.matcher(why).replaceFirst("");
        for (String prefix : new String[]{"lease lapsed: ", "revoking: ", "removed: "}) {
            if (why.startsWith(prefix)) {
                why = why.substring(prefix.length());
                break;
            }
        }
        if (why.startsWith("crash loop on ")) return CRASH_LOOP;
        if (why.startsWith("node ") && why.contains(" stopped renewing its lease")) return NODE_LOST;
        var released = RELEASED.matcher(why);
        if (released.find()) {
            String rest = why.substring(released.end());
            if (rest.startsWith("node draining")) return DRAIN;
            if (rest.startsWith("migrating")) return MIGRATE;
            return OTHER;
        }
        if (why.startsWith("replaced by ") && why.endsWith("(unpersisted)")) return UNPERSIST;
        if (why.startsWith("forgotten by ")) return UNPERSIST;
        return OTHER;
    }
}
