package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Where encrypted snapshot streams are kept off the node: content-addressed parts, so that a part's
 * ref is the proof of its bytes. {@link CcnSnapshotStore}, the network's own file store, is the
 * default; {@link S3SnapshotStore} keeps them in an S3-compatible bucket (its refs the sha256 of each
 * object, checked the same way on download).
 */
public interface SnapshotStore {
    /** Stores the stream to its end; returns the refs of its parts in order (none for an empty stream). */
    List<String> put(InputStream encrypted) throws IOException;

    /**
     * The stream stored as {@code parts}, exactly {@code expectedBytes} long. Reads fail with a
     * {@link SnapshotCorruptException} when a part is missing, does not hash to its ref, or the parts
     * hold more or fewer bytes than expected; never more than {@code expectedBytes} are read from the store.
     */
    InputStream get(List<String> parts, long expectedBytes) throws IOException;
}
