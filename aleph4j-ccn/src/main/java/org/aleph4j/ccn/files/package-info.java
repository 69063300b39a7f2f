/**
 * Files: content-addressed storage on local disk (streamed, hashed, written to a temp file and moved atomically)
 * and their HTTP intake ({@code add_file}, {@code ipfs/add_file}, {@code add_json}, {@code raw}) with the upload
 * limits and the bound on files no STORE pins, and the JSON views of files (base64 content, metadata).
 */
package org.aleph4j.ccn.files;
