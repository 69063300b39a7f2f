/** {@code aleph aggregate ...}: an address's key/value aggregates (AGGREGATE messages), as upstream's CLI. */
package org.aleph4j.cli.aggregate;
