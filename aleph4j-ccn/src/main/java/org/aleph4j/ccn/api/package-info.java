/** The CCN's HTTP and websocket API: upstream paths and JSON shapes, and the one error mapper. */
package org.aleph4j.ccn.api;
