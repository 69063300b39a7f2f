package org.aleph4j.crn.execution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A persistent program's work directory outlives its process: what it left at tmp/ must not lead the node elsewhere. */
class WorkDirTmpTest {
    @TempDir
    Path dir;

    @Test
    void aLinkTheProgramLeftAtTmpIsReplacedByARealDirectoryOnTheNextStart() throws Exception {
        Path work = dir.resolve("work");
        Path outside = Files.createDirectories(dir.resolve("outside"));
        try {
            HostFiles.createWorkDir(work, 16);
            Files.delete(work.resolve("tmp"));
            Files.createSymbolicLink(work.resolve("tmp"), outside);
            HostFiles.createWorkDir(work, 16);
            assertThat(Files.isDirectory(work.resolve("tmp"), LinkOption.NOFOLLOW_LINKS)).isTrue();
            assertThat(Files.exists(outside)).isTrue();
        } finally {
            HostFiles.deleteWorkDir(work);
        }
    }
}
