/**
 * Preparing a program: fetching its PROGRAM message and code from the CCN, verifying hashes, unpacking and caching;
 * checking its volumes' mount points ({@link org.aleph4j.crn.prepare.MountPoints}) and making its immutable volumes
 * host paths ({@link org.aleph4j.crn.prepare.ImmutableVolumes}).
 */
package org.aleph4j.crn.prepare;
