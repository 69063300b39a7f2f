/**
 * Leader election through a database row whose expiry is written and compared on the database's clock,
 * with an incarnation number per leadership: one scheduler grants leases, standbys wait.
 */
package org.aleph4j.scheduler.leader;
