package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.content.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Immutable volumes ({@code {"ref", "use_latest", "mount"}}) as read-only host paths: the ref is a
 * STORE, followed to its newest amend when {@code use_latest} (the default) exactly as code refs
 * are ({@link ProgramSource#latestAmend}); its file is downloaded into the node's file cache and
 * verified like code; a squashfs image is unpacked into a directory, any other file is kept as one
 * file, to be bound read-only at the volume's mount point (a single-file bind).
 *
 * <p>What aleph-vm does the same: the ref resolution (the STORE owner's newest amend whose
 * {@code content.ref} is the ref, else the ref itself), downloading through the CCN's
 * {@code storage/raw}, a read-only volume. What differs: aleph-vm hands the file to the VM as a
 * read-only drive which the guest mounts as squashfs, so any other file fails the boot; this node
 * has no VM, so it unpacks the image (with {@link SquashfsUnpacker}, never with its own privileges,
 * and the tree sanitized by {@link CodeTree#sanitize}) and also serves plain files. aleph-vm caches
 * by message hash and neither checks the message is a processed STORE, nor bounds the size, nor
 * verifies the file's hash; here the cache is keyed by the file's sha256 (two STOREs of one file
 * share an entry), the STORE is checked like a code STORE ({@link StoreFiles}), the file and what it
 * unpacks to are bounded by {@link PrepareLimits#maxUnpackedBytes()}, unpacking by the unpack
 * timeout, and IPFS files are refused. Only squashfs 4 images (little endian, magic {@code hsqs}, the
 * only kind Linux mounts) are unpacked.
 *
 * <p>A cached entry is whole or absent: built in a temporary directory, made read-only (directories
 * 0555, files 0444 or 0555 for executables, handed to root when the node runs as root) and renamed
 * into place. Every preparation reads the STORE again (so a forgotten STORE or a new amend is seen),
 * but downloads and unpacks only when no entry holds the file. Mount points are not checked here:
 * that is {@link MountPoints}'s work, done before anything is prepared.
 */
public final class ImmutableVolumes {
    private static final Logger log = LoggerFactory.getLogger(ImmutableVolumes.class);
    /** The cache's directory under the data dir. */
    static final String DIR = "immutable";
    private static final byte[] SQUASHFS_MAGIC = "hsqs".getBytes(StandardCharsets.US_ASCII);

    /**
     * A prepared immutable volume.
     *
     * @param hostPath    what to bind read-only at the mount point: a directory (an unpacked squashfs)
     *                    or a regular file; a real path inside the node's cache, never written
     * @param directory   whether {@code hostPath} is a directory (else a single file is bound)
     * @param resolvedRef the STORE the ref resolved to (the newest amend when {@code use_latest})
     * @param fileHash    sha256 of the STORE's file, the cache entry's name
     */
    public record Prepared(Path hostPath, boolean directory, String resolvedRef, String fileHash) {}

    private final ProgramSource source;
    private final StoreFiles stores;
    private final CodeCaches caches;
    private final KeyLocks locks;
    private final VolumeCache cache;
    private final PrepareLimits limits;
    private final Duration unpackTimeout;
    private final boolean asRoot;
    private final Failures failures;

    ImmutableVolumes(ProgramSource source, StoreFiles stores, CodeCaches caches, KeyLocks locks, VolumeCache cache,
                     PrepareLimits limits, Duration unpackTimeout, boolean asRoot) {
        this.source = source;
        this.stores = stores;
        this.caches = caches;
        this.locks = locks;
        this.cache = cache;
        this.limits = limits;
        this.unpackTimeout = unpackTimeout;
        this.asRoot = asRoot;
        this.failures = new Failures(limits.rememberedFailures());
    }

    /** {@link #prepare(Volume.Immutable, String)} without pinning: the entry may be evicted once others fill the cache. */
    public Prepared prepare(Volume.Immutable volume) {
        return prepare(volume, null);
    }

    /**
     * Resolves, downloads and unpacks {@code volume}, and pins the entry for {@code holder} (an
     * execution id; null pins nothing) in the same step, so no eviction comes between: it stays
     * until {@link #unpin(String) unpin(holder)}, which releases every volume the holder pinned.
     * Bind it only while pinned: evicting deletes the tree under a bind too. Safe to call from many
     * threads; one preparation per file at a time. Not bounded here (each CCN call is, and
     * unpacking): the caller applies its timeout by interrupting, and when interrupted nothing is
     * pinned.
     *
     * @throws CrnException 422 for a ref that is not an item hash; 400 for a STORE that is missing,
     *                      pending, forgotten, not a STORE, not a storage file, too large or a
     *                      corrupt squashfs image; 502 when the CCN serves a broken copy; 503 when
     *                      the CCN fails or the node cannot unpack (missing tool, full disk)
     */
    public Prepared prepare(Volume.Immutable volume, String holder) {
        String ref = Objects.requireNonNull(volume, "volume").ref();
        if (!ItemHashes.isItemHash(ref)) {
            throw new CrnException(422, "immutable volume ref " + MountPoints.printable(String.valueOf(ref))
                    + " is not an item hash", details(volume, null));
        }
        String resolved = Boolean.FALSE.equals(volume.useLatest()) ? ref : source.latestAmend(ref, null, "volume");
        StoreFiles.StoreFile store = stores.store(resolved, "volume");
        String fileHash = store.fileHash();
        if (store.declaredSize() != null && store.declaredSize() > limits.maxUnpackedBytes()) {
            Map<String, Object> d = details(volume, fileHash);
            d.put("limit", "max_unpacked_bytes");
            d.put("max", limits.maxUnpackedBytes());
            throw new CrnException(400, "volume STORE " + resolved + " holds " + store.declaredSize() + " bytes, more than "
                    + limits.maxUnpackedBytes() + " (limit max_unpacked_bytes)", d);
        }
        String key = fileHash + "-volume";
        failures.rethrow(key);
        try (KeyLocks.Held ignored = lock(fileHash)) {
            failures.rethrow(key);
            Path content = cache.lookup(fileHash);
            if (content == null) content = build(stores.download(fileHash), fileHash, key, volume);
            if (holder != null) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new CrnException(503, "preparing volume " + ref + " was interrupted", details(volume, fileHash));
                }
                cache.pin(holder, fileHash);
            }
            cache.evict();
            caches.evict();
            Path real = content.toRealPath(LinkOption.NOFOLLOW_LINKS);
            return new Prepared(real, Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS), resolved, fileHash);
        } catch (IOException e) {
            throw new CrnException(500, "immutable volume " + fileHash + " vanished: " + e.getMessage());
        }
    }

    /** Releases every volume {@code holder} pinned; harmless when it pinned nothing. */
    public void unpin(String holder) {
        cache.unpin(holder);
    }

    /**
     * Builds the entry of {@code fileHash} from {@code file} in a temporary directory, deleted
     * whatever happens, and renames it into place. Called with the file's lock held.
     */
    private Path build(Path file, String fileHash, String key, Volume.Immutable volume) {
        Path tmp = cache.dir().resolve(Preparer.TMP + fileHash);
        boolean squashfs = false;
        try {
            long size = Files.size(file);
            if (size > limits.maxUnpackedBytes()) {
                throw UnpackException.limit("the file is " + size + " bytes, more than " + limits.maxUnpackedBytes(),
                        "max_unpacked_bytes", limits.maxUnpackedBytes());
            }
            squashfs = isSquashfs(file);
            CodeTree.deleteTree(tmp);
            Files.createDirectory(tmp);
            Files.setPosixFilePermissions(tmp, CodeTree.permissions(0700));
            Path entry = Files.createDirectory(tmp.resolve("entry"));
            long bytes;
            if (squashfs) {
                Path root = SquashfsUnpacker.unsquash(file, tmp, limits, unpackTimeout, asRoot);
                CodeTree.Summary summary = CodeTree.sanitize(root, limits, asRoot);
                if (summary.removedSpecial() + summary.removedLinks() + summary.strippedModes() > 0) {
                    log.info("volume {}: removed {} special files and {} links leaving the tree, cleared {} modes", fileHash,
                            summary.removedSpecial(), summary.removedLinks(), summary.strippedModes());
                }
                // moved before it is made read-only: moving a directory to another parent writes its ".."
                Path moved = Files.move(root, entry.resolve(VolumeCache.ROOT));
                ReadOnlyTree.apply(moved);
                bytes = summary.bytes();
            } else {
                Path copy = entry.resolve(VolumeCache.FILE);
                Files.copy(file, copy);
                Files.setPosixFilePermissions(copy, CodeTree.permissions(0444));
                bytes = size;
            }
            Files.setPosixFilePermissions(entry, CodeTree.permissions(0755));
            Path target = cache.dir().resolve(fileHash);
            Preparer.moveIntoPlace(entry, target);
            cache.put(fileHash, bytes);
            return target.resolve(squashfs ? VolumeCache.ROOT : VolumeCache.FILE);
        } catch (IOException e) {
            throw failures.unpackFailed(e, key, "volume", fileHash, "volume file " + fileHash + (squashfs ? " (squashfs)" : ""),
                    details(volume, fileHash));
        } finally {
            CodeTree.deleteTree(tmp);
        }
    }

    /** True when {@code file} starts with the magic of a squashfs 4 image. */
    static boolean isSquashfs(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            return Arrays.equals(in.readNBytes(SQUASHFS_MAGIC.length), SQUASHFS_MAGIC);
        }
    }

    private KeyLocks.Held lock(String fileHash) {
        try {
            return locks.lock(fileHash);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CrnException(503, "preparing volume " + fileHash + " was interrupted", Map.of("file_hash", fileHash));
        }
    }

    private static Map<String, Object> details(Volume.Immutable v, String fileHash) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("ref", String.valueOf(v.ref()));
        if (v.mount() != null) d.put("mount", MountPoints.printable(v.mount()));
        if (fileHash != null) d.put("file_hash", fileHash);
        return d;
    }
}
