package org.aleph4j.crn.guest;

import java.nio.file.Path;
import org.aleph4j.crn.CrnConfig;
import org.junit.jupiter.api.io.TempDir;

/** The guest environment under the process executor: the same variables, pointing at host paths. */
class GuestEnvironmentInProcessTest extends GuestEnvironmentTestBase {
    @TempDir
    static Path dir;

    @Override
    Path dir() {
        return dir;
    }

    @Override
    CrnConfig.ExecutorKind executor() {
        return CrnConfig.ExecutorKind.PROCESS;
    }
}
