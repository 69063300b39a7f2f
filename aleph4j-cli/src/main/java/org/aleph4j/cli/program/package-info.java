/** {@code aleph program} and {@code aleph unpersist}: pack and upload code, create, persist, update, delete, locate programs. */
package org.aleph4j.cli.program;
