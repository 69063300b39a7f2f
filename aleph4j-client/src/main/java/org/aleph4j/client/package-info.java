/**
 * Java SDK for the CCN's upstream HTTP API: {@link org.aleph4j.client.CcnClient} (messages, files,
 * balances, prices, aggregates, the live message stream) and {@link org.aleph4j.client.ProgramBuilder}
 * (PROGRAM contents with the CLI's defaults filled in).
 */
package org.aleph4j.client;
