/** {@code aleph file}: upload files with a signed STORE, download them by hash. */
package org.aleph4j.cli.file;
