/**
 * What a program sees of its node, as upstream's guest init and guest API give it: the
 * {@code ALEPH_*} environment ({@link GuestEnvironment}) and one HTTP API per execution on a Unix
 * socket ({@link GuestApi}: {@code /properties}, a bounded per-program {@code /cache/*}, a read-only
 * proxy to the CCN). The program's identity is the socket it calls on, never something it sends.
 */
package org.aleph4j.crn.guest;
