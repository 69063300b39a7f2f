package org.aleph4j.client;

/** Receives how many bytes of a file upload have been handed to the network so far. */
@FunctionalInterface
public interface UploadProgress {
    UploadProgress NONE = (sent, total) -> {};

    void onProgress(long sentBytes, long totalBytes);
}
