/** Preparing a program: fetching its PROGRAM message and code from the CCN, verifying hashes, unpacking and caching. */
package org.aleph4j.crn.prepare;
