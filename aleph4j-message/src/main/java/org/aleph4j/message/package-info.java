/**
 * The aleph message model: envelopes, typed contents, canonical {@code item_content}, item hashes,
 * EIP-191 signing and verification, and validation with upstream's error codes. Pure: no I/O
 * except reading and writing key files in {@link org.aleph4j.message.KeyFiles}.
 */
package org.aleph4j.message;
