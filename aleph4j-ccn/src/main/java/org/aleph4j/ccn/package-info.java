/** The CCN role: configuration and the node that wires the message API, pipeline, storage, files and stream. */
package org.aleph4j.ccn;
