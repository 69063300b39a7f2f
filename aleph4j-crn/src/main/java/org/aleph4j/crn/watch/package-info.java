/** Watching the CCN's message stream to restart programs whose code changed and stop forgotten ones. */
package org.aleph4j.crn.watch;
