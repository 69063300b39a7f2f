/** The runtime aleph4j ships: a fixed descriptor file and the deterministic STORE message that publishes it. */
package org.aleph4j.message.runtime;
