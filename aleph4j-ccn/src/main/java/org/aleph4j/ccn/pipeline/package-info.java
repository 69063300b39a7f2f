/** Message processing: validation, permissions, dependencies, type handlers, costs, and the retrying worker. */
package org.aleph4j.ccn.pipeline;
