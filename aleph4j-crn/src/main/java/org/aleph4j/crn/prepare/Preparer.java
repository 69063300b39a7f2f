package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.aleph4j.client.CcnClient;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.runtime.LocalRuntime;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches and verifies PROGRAM messages and their code, and unpacks the code into a cache keyed
 * by file hash under the data dir. Code comes from strangers: unpacking is bounded by
 * {@link PrepareLimits} and a deadline, and the tree is sanitized ({@link CodeTree#sanitize}) before
 * it is renamed into place, so a failed or interrupted preparation never leaves a half-written or
 * unsafe cache entry. Both caches are bounded and evicted least recently used first, except code a
 * holder pinned ({@link #prepare(ProgramInfo, String)}). It also builds the node's
 * {@link #immutableVolumes() immutable volumes}, which share its CCN, file cache, limits and locks.
 */
public final class Preparer {
    private static final Logger log = LoggerFactory.getLogger(Preparer.class);
    private final RuntimeRegistry runtimes;
    private final Path filesDir;
    private final Path codeDir;
    private final Duration unpackTimeout;
    private final PrepareLimits limits;
    /** Root hands squashfs unpacking to nobody; an unprivileged node cannot do worse than itself. */
    private final boolean asRoot;
    private final CodeCaches caches;
    private final KeyLocks locks = new KeyLocks();
    /** Code cache entries whose archive failed to unpack, with the failure to repeat. */
    private final Failures failures;
    static final String TMP = ".tmp-";
    private final ProgramSource source;
    private final StoreFiles stores;
    private final ImmutableVolumes immutableVolumes;

    /** {@link #Preparer(CcnClient, RuntimeRegistry, Path, Duration, PrepareLimits)} with {@link PrepareLimits#defaults()}. */
    public Preparer(CcnClient ccn, RuntimeRegistry runtimes, Path dataDir, Duration unpackTimeout) {
        this(ccn, runtimes, dataDir, unpackTimeout, PrepareLimits.defaults());
    }

    /**
     * @param ccn           where messages and files come from; its timeout bounds each CCN call
     * @param unpackTimeout bound on unpacking a squashfs image (listing and extraction together)
     * @param limits        bounds on archives and on the file and code caches
     */
    public Preparer(CcnClient ccn, RuntimeRegistry runtimes, Path dataDir, Duration unpackTimeout, PrepareLimits limits) {
        this.source = new ProgramSource(ccn);
        this.runtimes = runtimes;
        this.filesDir = dataDir.resolve("files");
        this.codeDir = dataDir.resolve("code");
        this.unpackTimeout = unpackTimeout;
        this.limits = limits;
        this.asRoot = SquashfsUnpacker.runningAsRoot();
        this.caches = new CodeCaches(filesDir, codeDir, limits, locks);
        this.failures = new Failures(limits.rememberedFailures());
        this.stores = new StoreFiles(ccn, source, caches, filesDir);
        try {
            Files.createDirectories(filesDir);
            Files.createDirectories(codeDir);
            caches.load();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.immutableVolumes = new ImmutableVolumes(source, stores, caches, locks,
                new VolumeCache(dataDir.resolve(ImmutableVolumes.DIR), limits, locks), limits, unpackTimeout, asRoot);
    }

    /**
     * Immutable volumes of this node's programs, sharing this preparer's CCN, file cache, limits and
     * locks (a volume and code made of the same file are never prepared at once).
     */
    public ImmutableVolumes immutableVolumes() {
        return immutableVolumes;
    }

    /** The verified PROGRAM {@code hash}: 404 when unknown or forgotten, 400 when not a PROGRAM, 503 when the CCN fails. */
    public ProgramInfo program(String hash) {
        return source.program(hash);
    }

    /** Drops a cached PROGRAM (it was forgotten); the next request sees the CCN's answer. */
    public void forget(String hash) {
        source.forget(hash);
    }

    /** The item hash of the STORE the code ref currently resolves to (see {@link ProgramSource#resolveCodeRef}). */
    public String resolveCodeRef(ProgramInfo p) {
        return source.resolveCodeRef(p);
    }

    /**
     * Runtime check, code resolution, download, hash check and unpacking, without pinning the
     * result: its code may be evicted once other code fills the cache. Not bounded here: the caller
     * applies the timeout.
     */
    public PreparedProgram prepare(ProgramInfo p) {
        return prepare(p, null);
    }

    /**
     * {@link #prepare(ProgramInfo)}, and pins the prepared code for {@code holder} (an execution id)
     * in the same step, so no eviction can come between: the code stays in the cache until
     * {@link #unpin(String) unpin(holder)}. A holder pins one program's code at a time (preparing
     * again for it moves the pin). When the calling thread was interrupted (its caller gave up
     * waiting) nothing is pinned.
     */
    public PreparedProgram prepare(ProgramInfo p, String holder) {
        LocalRuntime runtime = runtimes.require(p.content().runtime().ref());
        CodeContent code = p.content().code();
        String storeHash = source.resolveCodeRef(p);
        String fileHash = stores.store(storeHash, "code").fileHash();
        String key = codeKey(fileHash, code);
        failures.rethrow(key);
        // one preparation per code file at a time; eviction never takes a file or tree whose lock is held
        try (KeyLocks.Held ignored = lockFile(fileHash)) {
            failures.rethrow(key);
            Path file = stores.download(fileHash);
            Path dir = unpack(file, fileHash, key, code);
            Path root = CodeLayout.root(dir, code);
            if (holder != null) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new CrnException(503, "preparing program " + p.itemHash() + " was interrupted");
                }
                caches.pin(holder, key);
            }
            caches.evict();
            return new PreparedProgram(p, root, storeHash, fileHash, runtime);
        }
    }

    /** Releases what {@code holder} pinned with {@link #prepare(ProgramInfo, String)}; harmless when it pinned nothing. */
    public void unpin(String holder) {
        caches.unpin(holder);
    }

    /** True when some holder pins the code prepared in {@code codeRoot} (or in the cache entry holding it). */
    public boolean pinned(Path codeRoot) {
        String key = cacheKeyOf(codeRoot);
        return key != null && caches.isPinned(key);
    }

    /** The code cache entry {@code path} is in (an entry or a directory inside one), or null. */
    private String cacheKeyOf(Path path) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            return null;
        }
        Path base = realCodeDir();
        if (!real.startsWith(base) || real.equals(base)) return null;
        return base.relativize(real).getName(0).toString();
    }

    private Path realCodeDir() {
        try {
            return codeDir.toRealPath();
        } catch (IOException e) {
            return codeDir.toAbsolutePath().normalize();
        }
    }

    private KeyLocks.Held lockFile(String fileHash) {
        try {
            return locks.lock(fileHash);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CrnException(503, "preparing code " + fileHash + " was interrupted", Map.of("file_hash", fileHash));
        }
    }

    /** The code cache entry of {@code fileHash} unpacked as {@code code} says (plain code is named after its entrypoint). */
    private static String codeKey(String fileHash, CodeContent code) {
        Encoding enc = code.encoding();
        return fileHash + "-" + enc.value() + (enc == Encoding.PLAIN ? "-" + CodeLayout.plainName(code) : "");
    }

    /**
     * Unpacks {@code file} into the code cache entry {@code key}, called with the file's lock held.
     * The work happens in one temporary directory per key (so names never pile up), deleted whatever
     * happens; the sanitized tree is renamed into place. A failure caused by the archive is
     * remembered and repeated without unpacking again.
     */
    private Path unpack(Path file, String fileHash, String key, CodeContent code) {
        Path target = codeDir.resolve(key);
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            caches.code.touch(key);
            CodeCaches.touch(target);
            return target;
        }
        Encoding enc = code.encoding();
        Path tmp = codeDir.resolve(TMP + key);
        try {
            long size = Files.size(file);
            if (size > limits.maxUnpackedBytes()) {
                throw UnpackException.limit("the code file is " + size + " bytes, more than " + limits.maxUnpackedBytes(),
                        "max_unpacked_bytes", limits.maxUnpackedBytes());
            }
            CodeTree.deleteTree(tmp);
            Files.createDirectory(tmp);
            Files.setPosixFilePermissions(tmp, CodeTree.permissions(0700));
            Path root = switch (enc) {
                case ZIP -> {
                    Path r = Files.createDirectory(tmp.resolve("root"));
                    ZipUnpacker.unzip(file, r, limits);
                    yield r;
                }
                case SQUASHFS -> SquashfsUnpacker.unsquash(file, tmp, limits, unpackTimeout, asRoot);
                case PLAIN -> {
                    Path r = Files.createDirectory(tmp.resolve("root"));
                    Path dest = r.resolve(CodeLayout.plainName(code));
                    Files.copy(file, dest);
                    dest.toFile().setExecutable(true, false);
                    yield r;
                }
            };
            CodeTree.Summary summary = CodeTree.sanitize(root, limits, enc == Encoding.SQUASHFS && asRoot);
            if (summary.removedSpecial() + summary.removedLinks() + summary.strippedModes() > 0) {
                log.info("code {} ({}): removed {} special files and {} links leaving the tree, cleared {} modes", fileHash,
                        enc.value(), summary.removedSpecial(), summary.removedLinks(), summary.strippedModes());
            }
            Files.setPosixFilePermissions(root, CodeTree.permissions(0755));
            moveIntoPlace(root, target);
            caches.code.put(key, summary.bytes());
            return target;
        } catch (IOException e) {
            throw failures.unpackFailed(e, key, "code", fileHash, "code archive " + fileHash + " (" + enc.value() + ")",
                    Map.of("file_hash", fileHash, "encoding", enc.value()));
        } finally {
            CodeTree.deleteTree(tmp);
        }
    }

    static void moveIntoPlace(Path tree, Path target) throws IOException {
        try {
            Files.move(tree, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
            // a leftover of an earlier run holds the name: the fresh tree wins
            Path old = target.resolveSibling(TMP + "old-" + target.getFileName());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            CodeTree.deleteTree(old);
            Files.move(tree, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tree, target);
        }
    }

    /** True when {@code hash} has the shape of an item hash this node can look up. */
    public static boolean isItemHash(String hash) {
        return ItemHashes.isItemHash(hash);
    }
}
