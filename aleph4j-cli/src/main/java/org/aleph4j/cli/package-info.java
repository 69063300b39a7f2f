/** The {@code aleph} command line: entry point, shared options, endpoint configuration and error reporting. */
package org.aleph4j.cli;
