/**
 * Follows the CCN: the message stream (with catch-up from the stored cursor) registers persistent
 * PROGRAMs and removes unpersisted, replaced, forgotten or unpaid ones; a periodic reconcile
 * re-checks every known program's status through the CCN API so nothing is missed.
 */
package org.aleph4j.scheduler.watch;
