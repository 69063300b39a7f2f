/**
 * Test support shared by the modules' end-to-end tests: {@link org.aleph4j.testkit.TestNetwork}
 * (a real CCN with an oracle, funded accounts and publishing helpers) and
 * {@link org.aleph4j.testkit.SamplePrograms} (the code those tests run). Used at test scope only.
 */
package org.aleph4j.testkit;
