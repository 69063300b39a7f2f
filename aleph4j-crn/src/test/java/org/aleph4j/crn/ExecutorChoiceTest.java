package org.aleph4j.crn;

import static org.assertj.core.api.Assertions.assertThat;

import org.aleph4j.crn.CrnConfig.ExecutorKind;
import org.aleph4j.crn.ExecutorChoice.Refuse;
import org.aleph4j.crn.ExecutorChoice.SandboxSupport;
import org.aleph4j.crn.ExecutorChoice.UseProcess;
import org.aleph4j.crn.ExecutorChoice.UseSandbox;
import org.junit.jupiter.api.Test;

class ExecutorChoiceTest {
    static final SandboxSupport USABLE = new SandboxSupport(true, "root, bwrap, netns and cgroups available");
    static final SandboxSupport MISSING = new SandboxSupport(false, "bubblewrap (bwrap) is not installed");

    @Test
    void autoUsesTheSandboxWhereTheHostSupportsIt() {
        assertThat(ExecutorChoice.decide(ExecutorKind.AUTO, USABLE, false)).isInstanceOf(UseSandbox.class)
                .matches(ExecutorChoice.Decision::isolates);
        assertThat(ExecutorChoice.decide(ExecutorKind.AUTO, USABLE, true)).isInstanceOf(UseSandbox.class);
    }

    @Test
    void autoWithoutSandboxAndWithoutTheFallbackKeyRefusesWithOneLineSayingHowToFixIt() {
        var d = ExecutorChoice.decide(ExecutorKind.AUTO, MISSING, false);
        assertThat(d).isInstanceOf(Refuse.class);
        String error = ((Refuse) d).error();
        assertThat(error).doesNotContain("\n").contains("bubblewrap (bwrap) is not installed")
                .contains("install bubblewrap").contains("as root").contains("executor=process")
                .contains("allow-unisolated=true");
        assertThat(d.isolates()).isFalse();
    }

    @Test
    void autoFallsBackToProcessOnlyWhenAllowedAndSaysWhy() {
        var d = ExecutorChoice.decide(ExecutorKind.AUTO, MISSING, true);
        assertThat(d).isEqualTo(new UseProcess("the sandbox is unavailable: bubblewrap (bwrap) is not installed"));
        assertThat(d.isolates()).isFalse();
    }

    @Test
    void anUnprobedHostCountsAsWithoutSandbox() {
        assertThat(ExecutorChoice.decide(ExecutorKind.AUTO, null, false)).isInstanceOf(Refuse.class);
    }

    @Test
    void explicitSandboxNeverFallsBackEvenWhenTheFallbackIsAllowed() {
        var d = ExecutorChoice.decide(ExecutorKind.SANDBOX, MISSING, true);
        assertThat(d).isInstanceOf(Refuse.class);
        assertThat(((Refuse) d).error()).doesNotContain("\n").contains("executor=sandbox").contains("install bubblewrap");
        assertThat(ExecutorChoice.decide(ExecutorKind.SANDBOX, USABLE, false)).isInstanceOf(UseSandbox.class);
    }

    @Test
    void explicitProcessIsUsedWithoutProbingAndWithoutFallbackReason() {
        assertThat(ExecutorChoice.decide(ExecutorKind.PROCESS, null, false)).isEqualTo(new UseProcess(null));
        assertThat(ExecutorChoice.decide(ExecutorKind.PROCESS, USABLE, false)).isEqualTo(new UseProcess(null));
    }

    @Test
    void onlyIsolatingExecutorsReportIsolation() {
        assertThat(ExecutorChoice.isolates("sandbox")).isTrue();
        assertThat(ExecutorChoice.isolates("process")).isFalse();
        assertThat(ExecutorChoice.isolates(null)).isFalse();
    }
}
