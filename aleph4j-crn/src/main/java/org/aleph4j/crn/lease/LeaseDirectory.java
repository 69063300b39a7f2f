package org.aleph4j.crn.lease;

import java.net.URI;
import java.util.Optional;

/** Tells the gateway which CRN holds the lease of a persistent program, so requests go there. */
public interface LeaseDirectory {
    /** The base URL of the CRN holding the lease of {@code itemHash}, if it is allocated. */
    Optional<URI> holderOf(String itemHash);

    /**
     * Why nobody holds {@code itemHash}, as the scheduler says (asked only when {@link #holderOf} is
     * empty); empty when unknown.
     */
    default Optional<Unplaced> unplaced(String itemHash) {
        return Optional.empty();
    }

    /**
     * A persistent program without a holder: {@code failedEverywhere} when the scheduler gave up every
     * node it could run on after it failed there; {@code reason} the scheduler's (null while it is
     * simply being placed); {@code lastError} what its last copy died of (null if none failed).
     */
    record Unplaced(boolean failedEverywhere, String reason, String lastError) {}

    /** A directory that knows no allocations (no scheduler configured). */
    LeaseDirectory NONE = itemHash -> Optional.empty();
}
