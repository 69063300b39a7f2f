package org.aleph4j.ccn;

/**
 * Caps that keep one client (or many) from exhausting a CCN's memory, threads, disk or database. Every
 * component defaults when given as 0 or less; {@link #defaults()} has them all. docs/ccn.md lists them.
 *
 * @param maxPageSize               largest {@code pagination} of {@code messages.json}; {@code pagination=0} (upstream's
 *                                  "no limit") and anything larger mean this many
 * @param maxStreamHistory          most messages one websocket replays ({@code since_sequence}, {@code startDate})
 *                                  before it is closed with a resume point (at least {@value #MIN_STREAM_HISTORY})
 * @param maxSubscribers            websocket subscribers at once, in total
 * @param maxSubscribersPerAddress  websocket subscribers at once from one remote address (IPv6: one /64)
 * @param streamQueueFrames         frames a subscriber may have waiting before it is disconnected as too slow
 * @param streamQueueChars          characters of frames a subscriber may have waiting before it is disconnected
 * @param anonymousUploadsPerMinute uploads without a STORE message (add_file, add_json) per remote address and
 *                                  minute, also the burst allowed
 * @param maxAnonymousStoreBytes    total size of files uploaded without a STORE that no STORE pins yet
 * @param maxJsonBytes              size limit of an {@code add_json} body
 * @param maxConcurrentLargeBodies  requests with a large or unknown-length body handled at once
 * @param maxBase64FileBytes        largest file {@code GET /api/v0/storage/{hash}} answers base64-encoded (413 above)
 */
public record CcnLimits(int maxPageSize, int maxStreamHistory, int maxSubscribers, int maxSubscribersPerAddress,
                        int streamQueueFrames, long streamQueueChars, int anonymousUploadsPerMinute,
                        long maxAnonymousStoreBytes, long maxJsonBytes, int maxConcurrentLargeBodies,
                        long maxBase64FileBytes) {
    public static final int DEFAULT_MAX_PAGE_SIZE = 500;
    public static final int DEFAULT_MAX_STREAM_HISTORY = 10_000;
    public static final int MIN_STREAM_HISTORY = 200;
    public static final int DEFAULT_MAX_SUBSCRIBERS = 1_000;
    public static final int DEFAULT_MAX_SUBSCRIBERS_PER_ADDRESS = 20;
    public static final int DEFAULT_STREAM_QUEUE_FRAMES = 10_000;
    public static final long DEFAULT_STREAM_QUEUE_CHARS = 4 * CcnConfig.MIB;
    public static final int DEFAULT_ANONYMOUS_UPLOADS_PER_MINUTE = 60;
    public static final long DEFAULT_MAX_ANONYMOUS_STORE_BYTES = 1024 * CcnConfig.MIB;
    public static final long DEFAULT_MAX_JSON_BYTES = 4 * CcnConfig.MIB;
    public static final int DEFAULT_MAX_CONCURRENT_LARGE_BODIES = 16;
    /** Files served base64-encoded in JSON ({@code GET /api/v0/storage/{hash}}) are read into memory: at most this. */
    public static final long DEFAULT_MAX_BASE64_FILE_BYTES = 10 * CcnConfig.MIB;

    public CcnLimits {
        if (maxPageSize <= 0) maxPageSize = DEFAULT_MAX_PAGE_SIZE;
        if (maxStreamHistory <= 0) maxStreamHistory = DEFAULT_MAX_STREAM_HISTORY;
        // never below upstream's largest history (199): a plain history=N request must not be cut short
        maxStreamHistory = Math.max(MIN_STREAM_HISTORY, maxStreamHistory);
        if (maxSubscribers <= 0) maxSubscribers = DEFAULT_MAX_SUBSCRIBERS;
        if (maxSubscribersPerAddress <= 0) maxSubscribersPerAddress = DEFAULT_MAX_SUBSCRIBERS_PER_ADDRESS;
        if (streamQueueFrames <= 0) streamQueueFrames = DEFAULT_STREAM_QUEUE_FRAMES;
        if (streamQueueChars <= 0) streamQueueChars = DEFAULT_STREAM_QUEUE_CHARS;
        if (anonymousUploadsPerMinute <= 0) anonymousUploadsPerMinute = DEFAULT_ANONYMOUS_UPLOADS_PER_MINUTE;
        if (maxAnonymousStoreBytes <= 0) maxAnonymousStoreBytes = DEFAULT_MAX_ANONYMOUS_STORE_BYTES;
        if (maxJsonBytes <= 0) maxJsonBytes = DEFAULT_MAX_JSON_BYTES;
        if (maxConcurrentLargeBodies <= 0) maxConcurrentLargeBodies = DEFAULT_MAX_CONCURRENT_LARGE_BODIES;
        if (maxBase64FileBytes <= 0) maxBase64FileBytes = DEFAULT_MAX_BASE64_FILE_BYTES;
    }

    public static CcnLimits defaults() {
        return new CcnLimits(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    public CcnLimits withMaxPageSize(int n) {
        return new CcnLimits(n, maxStreamHistory, maxSubscribers, maxSubscribersPerAddress, streamQueueFrames,
                streamQueueChars, anonymousUploadsPerMinute, maxAnonymousStoreBytes, maxJsonBytes, maxConcurrentLargeBodies, maxBase64FileBytes);
    }

    public CcnLimits withMaxStreamHistory(int n) {
        return new CcnLimits(maxPageSize, n, maxSubscribers, maxSubscribersPerAddress, streamQueueFrames,
                streamQueueChars, anonymousUploadsPerMinute, maxAnonymousStoreBytes, maxJsonBytes, maxConcurrentLargeBodies, maxBase64FileBytes);
    }

    public CcnLimits withSubscribers(int total, int perAddress) {
        return new CcnLimits(maxPageSize, maxStreamHistory, total, perAddress, streamQueueFrames,
                streamQueueChars, anonymousUploadsPerMinute, maxAnonymousStoreBytes, maxJsonBytes, maxConcurrentLargeBodies, maxBase64FileBytes);
    }

    public CcnLimits withStreamQueue(int frames, long chars) {
        return new CcnLimits(maxPageSize, maxStreamHistory, maxSubscribers, maxSubscribersPerAddress, frames,
                chars, anonymousUploadsPerMinute, maxAnonymousStoreBytes, maxJsonBytes, maxConcurrentLargeBodies, maxBase64FileBytes);
    }

    public CcnLimits withAnonymousUploads(int perMinute, long maxStoreBytes) {
        return new CcnLimits(maxPageSize, maxStreamHistory, maxSubscribers, maxSubscribersPerAddress, streamQueueFrames,
                streamQueueChars, perMinute, maxStoreBytes, maxJsonBytes, maxConcurrentLargeBodies, maxBase64FileBytes);
    }

    public CcnLimits withMaxJsonBytes(long n) {
        return new CcnLimits(maxPageSize, maxStreamHistory, maxSubscribers, maxSubscribersPerAddress, streamQueueFrames,
                streamQueueChars, anonymousUploadsPerMinute, maxAnonymousStoreBytes, n, maxConcurrentLargeBodies, maxBase64FileBytes);
    }

    public CcnLimits withMaxConcurrentLargeBodies(int n) {
        return new CcnLimits(maxPageSize, maxStreamHistory, maxSubscribers, maxSubscribersPerAddress, streamQueueFrames,
                streamQueueChars, anonymousUploadsPerMinute, maxAnonymousStoreBytes, maxJsonBytes, n, maxBase64FileBytes);
    }

    public CcnLimits withMaxBase64FileBytes(long n) {
        return new CcnLimits(maxPageSize, maxStreamHistory, maxSubscribers, maxSubscribersPerAddress, streamQueueFrames,
                streamQueueChars, anonymousUploadsPerMinute, maxAnonymousStoreBytes, maxJsonBytes, maxConcurrentLargeBodies, n);
    }
}
