package org.aleph4j.crn.execution;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.aleph4j.crn.CrnException;

/**
 * The last steps of every launch, shared by the executors: drop to the execution's own user
 * ({@code setpriv}) and only then set the program's environment ({@code env -i}). Host-side
 * processes (watchdog, bwrap, setpriv) therefore never see a variable of the message: an
 * {@code LD_PRELOAD} or {@code PYTHONPATH} of the program reaches the program alone, after the
 * privilege drop.
 */
public final class LaunchCommand {
    /** Where the two tools live on every supported host (coreutils and util-linux). */
    public static final String ENV = "/usr/bin/env";
    public static final String SETPRIV = "/usr/bin/setpriv";
    /** Bounds what the message can put on the program's command line (the kernel's limit is about 128 KiB a string). */
    public static final int MAX_ENVIRONMENT_BYTES = 65_536;
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,255}");

    private LaunchCommand() {}

    /**
     * Rejects what {@code env -i} could misread or the kernel refuse: names that are not plain
     * identifiers (a name with {@code =} or a leading {@code -} would become another assignment or an
     * option), NUL bytes, and environments over {@link #MAX_ENVIRONMENT_BYTES}.
     */
    public static void checkVariables(Map<String, String> variables) {
        if (variables == null) return;
        long total = 0;
        for (Map.Entry<String, String> v : variables.entrySet()) {
            String name = v.getKey();
            String value = v.getValue() == null ? "" : v.getValue();
            if (name == null || !NAME.matcher(name).matches()) {
                throw new CrnException(400, "variable name " + quote(name) + " is not a valid environment variable name"
                        + " (letters, digits and _, not starting with a digit)", Map.of("variable", String.valueOf(name)));
            }
            if (value.indexOf('\0') >= 0) {
                throw new CrnException(400, "variable " + name + " holds a NUL byte", Map.of("variable", name));
            }
            total += name.length() + value.length() + 2;
        }
        if (total > MAX_ENVIRONMENT_BYTES) {
            throw new CrnException(400, "the program's variables take " + total + " bytes; at most " + MAX_ENVIRONMENT_BYTES
                    + " are allowed", Map.of("bytes", total, "limit", MAX_ENVIRONMENT_BYTES));
        }
    }

    /** {@code env -i NAME=VALUE... command}: the environment is set at the program's own exec. */
    public static List<String> withEnvironment(Map<String, String> env, List<String> command) {
        checkVariables(env);
        if (command.isEmpty() || command.get(0).indexOf('=') >= 0) {
            // env would take a first word holding '=' for one more assignment
            throw new CrnException(400, "the program's executable path must not contain '='",
                    Map.of("command", command.isEmpty() ? "" : command.get(0)));
        }
        List<String> c = new ArrayList<>(List.of(ENV, "-i"));
        for (Map.Entry<String, String> v : new TreeMap<>(env).entrySet()) c.add(v.getKey() + "=" + v.getValue());
        c.addAll(command);
        return c;
    }

    /** {@code setpriv} to {@code uid}:{@code uid}, no supplementary groups, no capabilities, no_new_privs. */
    public static List<String> dropPrivileges(int uid) {
        return List.of(SETPRIV, "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs", "--");
    }

    private static String quote(String s) {
        return s == null ? "null" : '"' + (s.length() > 64 ? s.substring(0, 64) + "..." : s) + '"';
    }
}
