package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.MessagePage;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.runtime.LocalRuntime;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Contents;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Interface;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches and verifies PROGRAM messages and their code, and unpacks the code into a cache keyed
 * by file hash under the data dir. Code comes from strangers: unpacking is bounded by
 * {@link PrepareLimits} and a deadline, and the tree is sanitized ({@link CodeTree#sanitize}) before
 * it is renamed into place, so a failed or interrupted preparation never leaves a half-written or
 * unsafe cache entry. Both caches are bounded and evicted least recently used first, except code a
 * holder pinned ({@link #prepare(ProgramInfo, String)}).
 */
public final class Preparer {
    private static final Logger log = LoggerFactory.getLogger(Preparer.class);
    /** Statuses under which a message's resources are gone (reference §5.2). */
    private final CcnClient ccn;
    private final RuntimeRegistry runtimes;
    private final Path filesDir;
    private final Path codeDir;
    private final Duration unpackTimeout;
    private final PrepareLimits limits;
    /** Root hands squashfs unpacking to nobody; an unprivileged node cannot do worse than itself. */
    private final boolean asRoot;
    private final CacheIndex filesIndex;
    private final CacheIndex codeIndex;
    private final KeyLocks locks = new KeyLocks();
    /** Holder (an execution) to the code cache entry it pins. */
    private final Map<String, String> pins = new HashMap<>();
    /** Code cache entries whose archive failed to unpack, with the failure to repeat (bounded, least recently used out). */
    private final Map<String, CrnException> failures;
    private static final String TMP = ".tmp-";
    private final MessageValidator validator = new MessageValidator(SignatureVerifier.best());
    /** PROGRAM messages are immutable by hash; forgotten ones are evicted by {@link #forget}. */
    private final Map<String, ProgramInfo> programs = new ConcurrentHashMap<>();

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
        this.ccn = ccn;
        this.runtimes = runtimes;
        this.filesDir = dataDir.resolve("files");
        this.codeDir = dataDir.resolve("code");
        this.unpackTimeout = unpackTimeout;
        this.limits = limits;
        this.asRoot = SquashfsUnpacker.runningAsRoot();
        this.filesIndex = new CacheIndex(limits.maxFilesCacheBytes());
        this.codeIndex = new CacheIndex(limits.maxCodeCacheBytes());
        int remembered = limits.rememberedFailures();
        this.failures = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CrnException> eldest) {
                return size() > remembered;
            }
        });
        try {
            Files.createDirectories(filesDir);
            Files.createDirectories(codeDir);
            loadCaches();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The verified PROGRAM {@code hash}: 404 when unknown or forgotten, 400 when not a PROGRAM, 503 when the CCN fails. */
    public ProgramInfo program(String hash) {
        ProgramInfo cached = programs.get(hash);
        if (cached != null) return cached;
        MessageRecord f = fetch(hash)
                .orElseThrow(() -> new CrnException(404, "Program not found: no message " + hash + " on the CCN",
                        Map.of("item_hash", hash)));
        String status = statusOf(f);
        MessageStatus typed = MessageStatus.parse(status).orElse(null);
        if (typed != null && typed.gone()) {
            throw new CrnException(404, "Program " + hash + " was forgotten", Map.of("item_hash", hash, "status", status));
        }
        if (typed == MessageStatus.REJECTED) {
            throw new CrnException(404, "Program " + hash + " was rejected by the CCN", Map.of("item_hash", hash));
        }
        AlephMessage m = f.message();
        if (m.type() != MessageType.PROGRAM) {
            throw new CrnException(400, "message " + hash + " is a " + m.type() + ", not a PROGRAM",
                    Map.of("item_hash", hash, "type", String.valueOf(m.type())));
        }
        ProgramContent content;
        try {
            if (m.itemType() == ItemType.INLINE) {
                content = (ProgramContent) MessageValidator.checkInline(m);
            } else {
                content = (ProgramContent) Contents.parse(MessageType.PROGRAM, m.content());
            }
            validator.checkSignature(m);
        } catch (MessageException | RuntimeException e) {
            throw new CrnException(400, "PROGRAM " + hash + " does not verify: " + e.getMessage(), Map.of("item_hash", hash));
        }
        if (!hash.equals(m.itemHash())) {
            throw new CrnException(400, "CCN returned message " + m.itemHash() + " for " + hash, Map.of("item_hash", hash));
        }
        ProgramInfo info = new ProgramInfo(hash, content.address(), content);
        programs.put(hash, info);
        return info;
    }

    /** Drops a cached PROGRAM (it was forgotten); the next request sees the CCN's answer. */
    public void forget(String hash) {
        programs.remove(hash);
    }

    /** The message {@code hash} as the CCN reports it; any CCN failure (unreachable, timeout, 5xx) is a 503. */
    private Optional<MessageRecord> fetch(String hash) {
        try {
            return lookup(hash);
        } catch (CcnException e) {
            throw new CrnException(503, "CCN unavailable: " + e.getMessage(), Map.of("item_hash", hash));
        }
    }

    /**
     * {@link CcnClient#message} with the CRN's reading of it: a pending message (not processed yet)
     * counts as unknown, like upstream's CRN which only sees processed messages. Forgotten and
     * rejected messages keep only a skeleton upstream; when the client cannot read that skeleton
     * (a CcnException with no URL is a local parse failure, not a CCN failure), the status alone is
     * what matters, so it is fetched on its own.
     */
    private Optional<MessageRecord> lookup(String hash) throws CcnException {
        Optional<MessageRecord> r;
        try {
            r = ccn.message(hash);
        } catch (CcnException e) {
            if (e.url() != null) throw e;
            String status = ccn.status(hash).map(s -> s.status()).orElse(null);
            if (!MessageStatus.parse(status).map(MessageStatus::unusable).orElse(false)) throw e;
            return Optional.of(new MessageRecord(status, hash, null, null, null, null, List.of(), null, null));
        }
        if (r.isEmpty()) return r;
        String status = statusOf(r.get());
        boolean unusable = MessageStatus.parse(status).map(MessageStatus::unusable).orElse(false);
        if (!unusable && (MessageStatus.PENDING.is(status) || r.get().message() == null)) return Optional.empty();
        return r;
    }

    private static String statusOf(MessageRecord r) {
        return r.status() == null ? MessageStatus.PROCESSED.value() : r.status();
    }

    /**
     * The item hash of the STORE the code ref currently resolves to (reference §3.4): without
     * use_latest the ref itself; with it, the owner of the referenced STORE is read
     * ({@code messages.json?hashes=<ref>}), then the newest STORE by that owner whose content.ref
     * is the ref wins ({@code msgTypes=STORE&sortOrder=-1&refs=<ref>&owners=<owner>}), else the ref.
     */
    public String resolveCodeRef(ProgramInfo p) {
        CodeContent code = p.content().code();
        if (!Boolean.TRUE.equals(code.useLatest())) return code.ref();
        String ref = code.ref();
        try {
            String owner = ccn.messages(MessageQuery.builder().hashes(ref).build()).messages().stream()
                    .filter(m -> ref.equals(m.itemHash()) && m.content() != null)
                    .map(m -> m.content().path("address").asText(""))
                    .filter(a -> !a.isEmpty())
                    .findFirst().orElse(p.owner());
            MessagePage amends = ccn.messages(MessageQuery.builder().msgTypes(MessageType.STORE.name()).refs(ref)
                    .owners(owner).sortOrder(-1).pagination(50).build());
            return amends.messages().stream()
                    .filter(m -> m.content() != null && owner.equalsIgnoreCase(m.content().path("address").asText())
                            && ref.equals(m.content().path("ref").asText()))
                    .map(AlephMessage::itemHash)
                    .findFirst().orElse(ref);
        } catch (CcnException e) {
            throw new CrnException(503, "CCN unavailable while resolving code " + ref + ": " + e.getMessage(),
                    Map.of("ref", ref));
        }
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
        String storeHash = resolveCodeRef(p);
        MessageRecord store = fetch(storeHash).orElseThrow(() -> new CrnException(400,
                "Code, runtime or data not available: code STORE " + storeHash + " not found", Map.of("ref", storeHash)));
        if (store.message() == null || !MessageStatus.PROCESSED.is(statusOf(store))) {
            throw new CrnException(400, "Code, runtime or data not available: code STORE " + storeHash + " is " + statusOf(store),
                    Map.of("ref", storeHash));
        }
        if (store.message().type() != MessageType.STORE) {
            throw new CrnException(400, "code ref " + storeHash + " is a " + store.message().type() + ", not a STORE",
                    Map.of("ref", storeHash));
        }
        StoreContent sc;
        try {
            sc = (StoreContent) Contents.parse(MessageType.STORE, store.message().content());
        } catch (MessageException e) {
            throw new CrnException(400, "code STORE " + storeHash + " is invalid: " + e.getMessage(), Map.of("ref", storeHash));
        }
        if (sc.itemType() != ItemType.STORAGE) {
            throw new CrnException(400, "code STORE " + storeHash + " uses " + sc.itemType().value()
                    + " storage; this node reads storage files only", Map.of("ref", storeHash));
        }
        String fileHash = sc.itemHash();
        if (!ItemHashes.isSha256Hash(fileHash)) {
            throw new CrnException(400, "Code, runtime or data not available: file " + fileHash + " is not a sha256 hash",
                    Map.of("file_hash", String.valueOf(fileHash)));
        }
        String key = codeKey(fileHash, code);
        CrnException known = failures.get(key);
        if (known != null) throw repeat(known);
        // one preparation per code file at a time; eviction never takes a file or tree whose lock is held
        try (KeyLocks.Held ignored = lockFile(fileHash)) {
            known = failures.get(key);
            if (known != null) throw repeat(known);
            Path file = download(fileHash);
            Path dir = unpack(file, fileHash, key, code);
            Path root = locateCodeRoot(dir, code);
            if (holder != null) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new CrnException(503, "preparing program " + p.itemHash() + " was interrupted");
                }
                synchronized (pins) {
                    pins.put(holder, key);
                }
            }
            evict(filesIndex, filesDir, false);
            evict(codeIndex, codeDir, true);
            return new PreparedProgram(p, root, storeHash, fileHash, runtime);
        }
    }

    /** Releases what {@code holder} pinned with {@link #prepare(ProgramInfo, String)}; harmless when it pinned nothing. */
    public void unpin(String holder) {
        synchronized (pins) {
            pins.remove(holder);
        }
    }

    /** True when some holder pins the code prepared in {@code codeRoot} (or in the cache entry holding it). */
    public boolean pinned(Path codeRoot) {
        String key = cacheKeyOf(codeRoot);
        return key != null && isPinned(key);
    }

    private boolean isPinned(String key) {
        synchronized (pins) {
            return pins.containsValue(key);
        }
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
        return fileHash + "-" + enc.value() + (enc == Encoding.PLAIN ? "-" + safeName(code) : "");
    }

    private static String fileHashOf(String key) {
        int dash = key.indexOf('-');
        return dash < 0 ? key : key.substring(0, dash);
    }

    /**
     * Downloads a code file into the file cache. The client streams it to a temporary file, checks
     * its sha256 against {@code fileHash} and renames it into place, so the cache never holds a
     * partial or wrong file. Called with the file's lock held.
     */
    private Path download(String fileHash) {
        Path target = filesDir.resolve(fileHash);
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            filesIndex.touch(fileHash);
            touch(target);
            return target;
        }
        try {
            ccn.downloadFile(fileHash, target);
            filesIndex.put(fileHash, Files.size(target));
            return target;
        } catch (CcnException e) {
            throw new CrnException(400, "Code, runtime or data not available: " + e.getMessage(), Map.of("file_hash", fileHash));
        } catch (FileSystemException e) {
            throw new CrnException(500, "cannot store file " + fileHash + ": " + e.getMessage());
        } catch (IOException e) {
            // the body broke off mid-stream or its sha256 did not match: the CCN's copy is unusable
            throw new CrnException(400, "Code, runtime or data not available: file " + fileHash + ": " + e.getMessage(),
                    Map.of("file_hash", fileHash));
        }
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
            codeIndex.touch(key);
            touch(target);
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
                    Path dest = r.resolve(safeName(code));
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
            codeIndex.put(key, summary.bytes());
            return target;
        } catch (InterruptedIOException e) {
            throw new CrnException(503, "unpacking code " + fileHash + " was interrupted: " + e.getMessage(),
                    Map.of("file_hash", fileHash, "encoding", enc.value()));
        } catch (IOException e) {
            String msg = String.valueOf(e.getMessage());
            if (e instanceof UnpackException u && u.isNodeFault()) {
                throw new CrnException(503, "this node cannot unpack code " + fileHash + ": " + msg,
                        Map.of("file_hash", fileHash, "encoding", enc.value()));
            }
            if (msg.contains("No space left on device")) {
                throw new CrnException(503, "this node is out of disk space for code " + fileHash,
                        Map.of("file_hash", fileHash));
            }
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("file_hash", fileHash);
            details.put("encoding", enc.value());
            String limit = "";
            if (e instanceof UnpackException u && u.limit() != null) {
                details.put("limit", u.limit());
                details.put("max", u.max());
                limit = " (limit " + u.limit() + ")";
            }
            CrnException failure = new CrnException(400, "code archive " + fileHash + " (" + enc.value()
                    + ") could not be unpacked: " + msg + limit, details);
            failures.put(key, failure);
            throw failure;
        } finally {
            CodeTree.deleteTree(tmp);
        }
    }

    private static CrnException repeat(CrnException known) {
        return new CrnException(known.status(), known.getMessage(), known.details());
    }

    /** Records a use on disk too, so the order of use survives a restart. */
    private static void touch(Path p) {
        try {
            Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
        } catch (IOException ignored) {
            // the in-memory order still holds
        }
    }

    /** Plain code is one file: a Python module named after the ASGI module, or the binary entrypoint itself. */
    private static String safeName(CodeContent code) {
        String ep = code.entrypoint();
        String name = code.effectiveInterface() == Interface.ASGI ? ep.substring(0, ep.indexOf(':')).replace('.', '_') + ".py" : ep;
        try {
            name = Path.of(name).getFileName().toString();
        } catch (InvalidPathException | NullPointerException e) {
            return "program";
        }
        return name.isBlank() || name.startsWith(".") ? "program" : name;
    }

    /**
     * Archives made from a directory sometimes hold that directory as their only top entry; use it
     * as the root when the entrypoint is found there and not at the top. The root is returned as a
     * real path inside the unpacked tree (a link never becomes the root).
     */
    private static Path locateCodeRoot(Path dir, CodeContent code) {
        Path top = CodeTree.contained(dir, dir);
        if (top == null) throw new CrnException(500, "code directory " + dir + " vanished");
        String ep = code.entrypoint();
        String rel = code.effectiveInterface() == Interface.ASGI && ep.indexOf(':') > 0
                ? ep.substring(0, ep.indexOf(':')).replace('.', '/') : ep;
        if (code.encoding() == Encoding.PLAIN || exists(top, rel, code)) return top;
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(top)) {
            ds.forEach(children::add);
        } catch (IOException e) {
            return top;
        }
        if (children.size() == 1 && Files.isDirectory(children.get(0), LinkOption.NOFOLLOW_LINKS)
                && exists(children.get(0), rel, code)) {
            Path inner = CodeTree.contained(top, children.get(0));
            if (inner != null) return inner;
        }
        return top;
    }

    /** True when the entrypoint's file is in {@code dir}; never looks outside it. */
    private static boolean exists(Path dir, String rel, CodeContent code) {
        try {
            List<Path> candidates = code.effectiveInterface() == Interface.ASGI
                    ? List.of(dir.resolve(rel + ".py"), dir.resolve(rel).resolve("__init__.py")) : List.of(dir.resolve(rel));
            for (Path c : candidates) {
                if (!c.normalize().startsWith(dir)) continue;
                Path real = CodeTree.contained(dir, c);
                if (real != null && Files.isRegularFile(real)) return true;
            }
            return false;
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static void moveIntoPlace(Path tree, Path target) throws IOException {
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

    // ---------------------------------------------------------------- the caches

    /**
     * Deletes least recently used entries of {@code index} until it fits its bound. An entry is kept
     * while its file's lock is held (a preparation is using it, this one included) and, for code,
     * while a holder pins it. A code tree is renamed away before it is deleted, so a crash never
     * leaves a half-deleted tree under its cache name.
     */
    private void evict(CacheIndex index, Path dir, boolean code) {
        if (!index.overBound()) return;
        for (String key : index.eldestFirst()) {
            if (!index.overBound()) return;
            KeyLocks.Held held = locks.tryLock(fileHashOf(key));
            if (held == null) continue;
            try (held) {
                if (code && isPinned(key)) continue;
                Path entry = dir.resolve(key);
                if (code) {
                    Path gone = dir.resolve(TMP + "evict-" + key);
                    CodeTree.deleteTree(gone);
                    if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) Files.move(entry, gone, StandardCopyOption.ATOMIC_MOVE);
                    CodeTree.deleteTree(gone);
                } else {
                    Files.deleteIfExists(entry);
                }
                index.remove(key);
                log.info("evicted {} {} from the cache ({} of {} bytes used)", code ? "code" : "file", key, index.total(),
                        index.maxBytes());
            } catch (IOException e) {
                log.warn("cannot evict {}: {}", dir.resolve(key), e.toString());
            }
        }
    }

    /**
     * Rebuilds both cache indexes from disk, oldest use first: leftovers of interrupted work are
     * deleted, and code unpacked before (perhaps by an older version) is sanitized again or dropped.
     */
    private void loadCaches() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(filesDir)) {
            for (Path f : ds) {
                String name = f.getFileName().toString();
                if (name.startsWith(".download-") || name.startsWith(TMP)) Files.deleteIfExists(f);
            }
        }
        for (Path f : byAge(filesDir)) {
            String name = f.getFileName().toString();
            if (ItemHashes.isSha256Hash(name) && Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                filesIndex.put(name, Files.size(f));
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(codeDir)) {
            for (Path d : ds) {
                String name = d.getFileName().toString();
                if (name.startsWith(TMP) || name.contains(".tmp-")) CodeTree.deleteTree(d);
            }
        }
        for (Path d : byAge(codeDir)) {
            String name = d.getFileName().toString();
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS) || !ItemHashes.isSha256Hash(fileHashOf(name))) {
                CodeTree.deleteTree(d);
                continue;
            }
            try {
                codeIndex.put(name, CodeTree.sanitize(d, limits, false).bytes());
            } catch (IOException e) {
                log.warn("dropping cached code {}: {}", name, e.getMessage());
                CodeTree.deleteTree(d);
            }
        }
        evict(filesIndex, filesDir, false);
        evict(codeIndex, codeDir, true);
    }

    private static List<Path> byAge(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(all::add);
        }
        Map<Path, Long> mtime = new HashMap<>();
        for (Path p : all) {
            try {
                mtime.put(p, Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis());
            } catch (IOException e) {
                mtime.put(p, 0L);
            }
        }
        all.sort(Comparator.comparing(mtime::get));
        return all;
    }

    /** True when {@code hash} has the shape of an item hash this node can look up. */
    public static boolean isItemHash(String hash) {
        return ItemHashes.isItemHash(hash);
    }
}
