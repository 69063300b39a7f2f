package org.aleph4j.crn.lease;

import java.net.URI;
import java.util.Optional;

/** Tells the gateway which CRN holds the lease of a persistent program, so requests go there. */
public interface LeaseDirectory {
    /** The base URL of the CRN holding the lease of {@code itemHash}, if it is allocated. */
    Optional<URI> holderOf(String itemHash);

    /** A directory that knows no allocations (no scheduler configured). */
    LeaseDirectory NONE = itemHash -> Optional.empty();
}
