/**
 * The aleph message model: envelopes, typed contents, canonical {@code item_content}, item hashes,
 * EIP-191 signing and verification, and validation with upstream's error codes. Pure: no I/O
 * (key files are read and written by {@code org.aleph4j.client.account.KeyFiles}).
 */
package org.aleph4j.message;
