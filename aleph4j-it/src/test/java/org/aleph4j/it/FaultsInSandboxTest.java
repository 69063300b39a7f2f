package org.aleph4j.it;

/** The fault suite with every CRN running the program in its sandbox (the executor persistent programs require). */
class FaultsInSandboxTest extends FaultsContract {
    @Override
    String executor() {
        return "sandbox";
    }
}
