/** The {@code aleph-node} launcher: runs each role as its own process, or all of them as a devnet. */
package org.aleph4j.node;
