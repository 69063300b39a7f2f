/** devnet: a CCN, a scheduler and N CRNs in one process on 127.0.0.1, with its own balance oracle. */
package org.aleph4j.node.devnet;
