package org.aleph4j.crn.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.aleph4j.message.runtime.UpstreamRuntimes;
import org.junit.jupiter.api.Test;

/** The table of runtime refs a node runs: the default, what the runtime map adds, changes and removes. */
class RuntimeRegistryTest {
    static final Path PY = Path.of("/usr/bin/python3");
    static final String DEBIAN_12 = UpstreamRuntimes.upstreamDefault().ref();
    static final String DEBIAN_11 = UpstreamRuntimes.builtIn().get(1).ref();

    @Test
    void byDefaultEveryUpstreamRuntimeRunsOnTheNodesPythonAfterAleph4jsOwn() {
        RuntimeRegistry r = RuntimeRegistry.of(RuntimeMap.defaults(), PY);

        assertThat(r.all()).extracting(LocalRuntime::ref).containsExactly(DefaultRuntime.ref(), DEBIAN_12, DEBIAN_11);
        assertThat(r.require(DefaultRuntime.ref()).origin()).isEqualTo(LocalRuntime.Origin.ALEPH4J);
        LocalRuntime d12 = r.require(DEBIAN_12);
        assertThat(d12.origin()).isEqualTo(LocalRuntime.Origin.UPSTREAM);
        assertThat(d12.name()).isEqualTo("aleph-debian-12-python");
        assertThat(d12.python()).isEqualTo(PY);
        assertThat(d12.provides()).contains("FastAPI");
    }

    @Test
    void entriesChangeAnInterpreterAddARefOrRemoveOneAndAnUnknownRefIsA503() {
        String custom = "c0".repeat(32);
        RuntimeMap map = RuntimeMap.parse(true, List.of(DEBIAN_12 + "=/opt/py312/bin/python3", DEBIAN_11 + "=off",
                custom.toUpperCase() + " = /usr/bin/python3.11"));
        RuntimeRegistry r = RuntimeRegistry.of(map, PY);

        assertThat(r.require(DEBIAN_12).python()).isEqualTo(Path.of("/opt/py312/bin/python3"));
        assertThat(r.require(DEBIAN_12).origin()).isEqualTo(LocalRuntime.Origin.UPSTREAM);
        assertThat(r.find(DEBIAN_11)).isEmpty();
        assertThat(r.require(custom).origin()).isEqualTo(LocalRuntime.Origin.CONFIGURED);
        assertThatThrownBy(() -> r.require(DEBIAN_11)).isInstanceOfSatisfying(CrnException.class,
                e -> assertThat(e.status()).isEqualTo(503));
    }

    @Test
    void withoutUpstreamOnlyTheDefaultAndTheEntriesRemainAndAnUpstreamEntryKeepsItsName() {
        RuntimeRegistry r = RuntimeRegistry.of(RuntimeMap.parse(false, List.of(DEBIAN_11 + "=/usr/bin/python3")), PY);

        assertThat(r.all()).extracting(LocalRuntime::ref).containsExactly(DefaultRuntime.ref(), DEBIAN_11);
        assertThat(r.require(DEBIAN_11).name()).isEqualTo("aleph-debian-11-python");
    }

    @Test
    void badEntriesAreRefusedWithWhatIsExpected() {
        assertThatThrownBy(() -> RuntimeMap.parse(true, List.of("63f0=/usr/bin/python3"))).hasMessageContaining("64-hex");
        assertThatThrownBy(() -> RuntimeMap.parse(true, List.of(DEBIAN_12))).hasMessageContaining("<runtime ref>=<python path>");
        assertThatThrownBy(() -> RuntimeMap.parse(true, List.of(DEBIAN_12 + "=python3"))).hasMessageContaining("absolute path");
    }
}
