/**
 * Files: content-addressed storage behind {@link org.aleph4j.ccn.files.FileStore}, on local disk (one node) or in an
 * S3-compatible bucket that CCN replicas share (streamed, hashed, staged, then committed; hashes checked on read from
 * the bucket), their HTTP intake ({@code add_file}, {@code ipfs/add_file}, {@code add_json}, {@code raw}) with the
 * upload limits and the bound on files no STORE pins, and the JSON views of files (base64 content, metadata).
 */
package org.aleph4j.ccn.files;
