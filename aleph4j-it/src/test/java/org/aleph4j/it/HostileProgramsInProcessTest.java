package org.aleph4j.it;

/**
 * The hostile-program attacks under the {@code process} executor run by root: no namespaces, but a
 * user per execution, no capabilities, the seccomp filter, cgroup kills and a size-limited work
 * directory still hold.
 */
class HostileProgramsInProcessTest extends HostileProgramsContract {
    @Override
    String executor() {
        return "process";
    }
}
