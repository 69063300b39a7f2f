/** {@code aleph message}: read, query and forget messages. */
package org.aleph4j.cli.message;
