package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a previous run of the node left behind when it died without stopping its programs: pid
 * files under {@code run/}, the executor's own records (cgroups, sandboxes, uids) and work
 * directories (tmpfs mounts). Everything an execution started is killed through its cgroups by
 * {@link Executor#release}; the process group named by a pid file is killed too, for hosts without
 * cgroups, but only when the process is really that execution's (pids are reused).
 */
final class Leftovers {
    private static final Logger log = LoggerFactory.getLogger(Leftovers.class);

    private Leftovers() {}

    /** Cleans everything up; returns how many leftover process groups were killed. */
    static int clean(Path runDir, Path executionsDir, Executor executor) {
        int killed = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir, "*.pid")) {
            for (Path f : ds) {
                String id = f.getFileName().toString().replaceFirst("\\.pid$", "");
                try {
                    long pgid = Long.parseLong(Files.readString(f).strip());
                    if (belongsTo(pgid, id)) {
                        executor.killGroup(pgid);
                        killed++;
                        log.info("killed leftover execution {} (process group {}) of a previous run", id, pgid);
                    }
                } catch (IOException | NumberFormatException e) {
                    log.debug("unreadable pid file {}: {}", f, e.toString());
                }
                Files.deleteIfExists(f);
                executor.release(id);
            }
        } catch (IOException e) {
            log.warn("cannot scan {} for leftovers: {}", runDir, e.toString());
        }
        executor.cleanLeftovers();
        // work directories of a previous run belong to no execution any more (and may be mounted)
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(executionsDir)) {
            for (Path d : ds) HostFiles.deleteWorkDir(d);
        } catch (IOException e) {
            log.warn("cannot scan {} for leftovers: {}", executionsDir, e.toString());
        }
        return killed;
    }

    /** Whether process {@code pid} runs execution {@code id}: the program's environment names it. */
    private static boolean belongsTo(long pid, String id) throws IOException {
        Path environ = Path.of("/proc", Long.toString(pid), "environ");
        return Files.exists(environ) && new String(Files.readAllBytes(environ)).contains("ALEPH4J_EXECUTION=" + id);
    }
}
