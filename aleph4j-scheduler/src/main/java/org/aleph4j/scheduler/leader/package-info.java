/** Leader election through a database row with an expiry: one scheduler grants leases, standbys wait. */
package org.aleph4j.scheduler.leader;
