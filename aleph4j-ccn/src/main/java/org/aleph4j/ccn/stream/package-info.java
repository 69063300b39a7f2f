/**
 * The live message stream: subscribers with filters, history catch-up in change-sequence order without gaps or
 * duplicates, status frames, and the websocket endpoint that connects sessions to it.
 */
package org.aleph4j.ccn.stream;
