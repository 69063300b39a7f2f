package org.aleph4j.it;

/** The fault suite with the process executor (the scheduler told not to require isolation). */
class FaultsInProcessTest extends FaultsContract {
    @Override
    String executor() {
        return "process";
    }
}
