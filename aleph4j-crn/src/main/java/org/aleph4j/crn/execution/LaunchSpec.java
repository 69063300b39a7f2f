package org.aleph4j.crn.execution;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.aleph4j.crn.guest.GuestEnvironment;
import org.aleph4j.crn.prepare.CodeTree;
import org.aleph4j.crn.prepare.PreparedProgram;
import org.aleph4j.message.content.Interface;

/**
 * How a prepared program is started, as the program sees it: its command line (uvicorn for ASGI,
 * the entrypoint for binaries) and its environment (the message's {@code variables}, then the
 * node's own {@code PORT}, {@code HOME}, {@code ALEPH4J_*} and upstream's {@code ALEPH_*} guest
 * variables, which a variable cannot override).
 * The executors decide how that reaches the program ({@link LaunchCommand}).
 */
final class LaunchSpec {
    static final String PATH = "/usr/local/bin:/usr/bin:/bin";
    static final String LANG = "C.UTF-8";

    private LaunchSpec() {}

    static List<String> command(PreparedProgram p, Executor.View view) {
        var code = p.program().content().code();
        if (code.effectiveInterface() == Interface.ASGI) {
            return List.of(p.runtime().python().toString(), "-m", "uvicorn", code.entrypoint(), "--host", view.bindHost(),
                    "--port", Integer.toString(view.port()), "--app-dir", view.codeDir().toString(), "--no-access-log");
        }
        // a real path inside the code root: no link may lead the chmod below (run as root) out of it
        Path exe = CodeTree.entrypoint(p.codeDir(), code.entrypoint());
        exe.toFile().setExecutable(true, false);
        List<String> cmd = new ArrayList<>();
        cmd.add(view.codeDir().resolve(p.codeDir().relativize(exe)).toString());
        if (code.args() != null) cmd.addAll(code.args());
        return cmd;
    }

    /** @param epoch the fencing epoch of a persistent execution, null on demand */
    static Map<String, String> environment(String executionId, String itemHash, Long epoch, String executorName,
                                           PreparedProgram p, Executor.View view) {
        Map<String, String> env = new HashMap<>();
        Map<String, String> vars = p.program().content().variables();
        if (vars != null) env.putAll(vars);
        env.put("PATH", PATH);
        env.put("HOME", view.workDir().toString());
        env.put("TMPDIR", view.tmpDir().toString());
        env.put("LANG", LANG);
        env.put("PYTHONUNBUFFERED", "1");
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PORT", Integer.toString(view.port()));
        env.put("ALEPH4J_EXECUTOR", executorName);
        env.put("ALEPH4J_ITEM_HASH", itemHash);
        env.put("ALEPH4J_CODE_REF", p.codeRef());
        env.put("ALEPH4J_CODE_DIR", view.codeDir().toString());
        env.put("ALEPH4J_EXECUTION", executionId);
        if (epoch != null) env.put("ALEPH4J_EPOCH", Long.toString(epoch));
        // upstream's guest variables; unlike upstream's init, a message's variables do not replace them
        env.putAll(GuestEnvironment.variables(itemHash, view.tmpDir().resolve(GuestEnvironment.SOCKET_NAME)));
        return env;
    }
}
