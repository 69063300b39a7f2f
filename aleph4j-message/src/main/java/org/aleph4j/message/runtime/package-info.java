/** The runtime aleph4j ships (a fixed descriptor file and the deterministic STORE that publishes it) and the table of upstream aleph.im's official runtimes. */
package org.aleph4j.message.runtime;
