/** Content-addressed file storage on local disk: streamed, hashed, written to a temp file and moved atomically. */
package org.aleph4j.ccn.files;
