/** The live message stream: subscribers with filters, history catch-up without gaps or duplicates, status frames. */
package org.aleph4j.ccn.stream;
