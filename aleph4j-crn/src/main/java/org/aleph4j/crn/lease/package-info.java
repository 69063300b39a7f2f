/**
 * Persistent programs on a CRN: heartbeats to the scheduler, leases and epochs, self-fencing.
 * {@link org.aleph4j.crn.lease.LeaseDecisions} holds the lease rules as a pure function, including
 * which scheduler answers to believe at all (trusted key, echoed nonce, incarnation, lease cap);
 * {@link org.aleph4j.crn.lease.PersistentHost} is what the execution side offers the lease keeper;
 * {@link org.aleph4j.crn.lease.LeaseDirectory} tells the gateway which node holds a program's lease.
 */
package org.aleph4j.crn.lease;
