package org.aleph4j.crn.prepare;

/**
 * Bounds on what a stranger's code archive may cost this node, and on the caches that keep it.
 *
 * @param maxUnpackedBytes   total size of the files an archive unpacks to; the code file itself may not be larger
 * @param maxEntries         files, directories and links in one archive
 * @param maxPathLength      characters in one entry's path inside the archive
 * @param maxPathDepth       directories an entry's path goes through
 * @param maxFilesCacheBytes the downloaded code files under {@code <data>/files}, evicted least recently used first
 * @param maxCodeCacheBytes  the unpacked code under {@code <data>/code}, evicted least recently used first
 * @param rememberedFailures archives that failed to unpack, remembered so they are not unpacked again
 */
public record PrepareLimits(long maxUnpackedBytes, int maxEntries, int maxPathLength, int maxPathDepth,
                            long maxFilesCacheBytes, long maxCodeCacheBytes, int rememberedFailures) {
    public static final long GIB = 1024L * 1024 * 1024;

    public PrepareLimits {
        if (maxUnpackedBytes <= 0 || maxEntries <= 0 || maxPathLength <= 0 || maxPathDepth <= 0
                || maxFilesCacheBytes <= 0 || maxCodeCacheBytes <= 0 || rememberedFailures < 0) {
            throw new IllegalArgumentException("prepare limits must be positive");
        }
    }

    /** 1 GiB unpacked, 100,000 entries, 4096-character paths 128 deep, 4 GiB for each cache, 1000 failures remembered. */
    public static PrepareLimits defaults() {
        return new PrepareLimits(GIB, 100_000, 4096, 128, 4 * GIB, 4 * GIB, 1000);
    }

    public PrepareLimits withMaxUnpackedBytes(long v) {
        return new PrepareLimits(v, maxEntries, maxPathLength, maxPathDepth, maxFilesCacheBytes, maxCodeCacheBytes,
                rememberedFailures);
    }

    public PrepareLimits withMaxEntries(int v) {
        return new PrepareLimits(maxUnpackedBytes, v, maxPathLength, maxPathDepth, maxFilesCacheBytes, maxCodeCacheBytes,
                rememberedFailures);
    }

    public PrepareLimits withCacheBytes(long files, long code) {
        return new PrepareLimits(maxUnpackedBytes, maxEntries, maxPathLength, maxPathDepth, files, code, rememberedFailures);
    }
}
