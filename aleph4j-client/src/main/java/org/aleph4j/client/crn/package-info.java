/**
 * Client side of a CRN's owner-only endpoints: upstream's wallet-signed ephemeral-key
 * authentication ({@link org.aleph4j.client.crn.OwnerAuth}) and {@link org.aleph4j.client.crn.CrnClient}.
 */
package org.aleph4j.client.crn;
