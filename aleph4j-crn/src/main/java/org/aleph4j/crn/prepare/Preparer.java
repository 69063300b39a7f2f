package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.MessagePage;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.client.MessageStatus;
import org.aleph4j.crn.CrnException;
import org.aleph4j.crn.runtime.LocalRuntime;
import org.aleph4j.crn.runtime.RuntimeRegistry;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Contents;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Interface;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches and verifies PROGRAM messages and their code, and unpacks the code into a cache keyed
 * by file hash under the data dir. Unpacking goes to a temporary directory renamed into place, so a
 * failed or interrupted preparation never leaves a half-written cache entry.
 */
public final class Preparer {
    private static final Logger log = LoggerFactory.getLogger(Preparer.class);
    /** Statuses under which a message's resources are gone (reference §5.2). */
    private static final Set<String> GONE = Set.of("forgotten", "removing", "removed");
    private final CcnClient ccn;
    private final RuntimeRegistry runtimes;
    private final Path filesDir;
    private final Path codeDir;
    private final Duration unpackTimeout;
    private final MessageValidator validator = new MessageValidator(SignatureVerifier.best());
    /** PROGRAM messages are immutable by hash; forgotten ones are evicted by {@link #forget}. */
    private final Map<String, ProgramInfo> programs = new ConcurrentHashMap<>();

    /**
     * @param ccn           where messages and files come from; its timeout bounds each CCN call
     * @param unpackTimeout bound on unpacking a squashfs image
     */
    public Preparer(CcnClient ccn, RuntimeRegistry runtimes, Path dataDir, Duration unpackTimeout) {
        this.ccn = ccn;
        this.runtimes = runtimes;
        this.filesDir = dataDir.resolve("files");
        this.codeDir = dataDir.resolve("code");
        this.unpackTimeout = unpackTimeout;
        try {
            Files.createDirectories(filesDir);
            Files.createDirectories(codeDir);
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
        if (GONE.contains(status)) {
            throw new CrnException(404, "Program " + hash + " was forgotten", Map.of("item_hash", hash, "status", status));
        }
        if ("rejected".equals(status)) {
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
            String status = ccn.status(hash).map(MessageStatus::status).orElse(null);
            if (status == null || (!GONE.contains(status) && !"rejected".equals(status))) throw e;
            return Optional.of(new MessageRecord(status, hash, null, null, null, null, List.of(), null, null));
        }
        if (r.isEmpty()) return r;
        String status = statusOf(r.get());
        boolean terminal = GONE.contains(status) || "rejected".equals(status);
        if (!terminal && ("pending".equals(status) || r.get().message() == null)) return Optional.empty();
        return r;
    }

    private static String statusOf(MessageRecord r) {
        return r.status() == null ? "processed" : r.status();
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

    /** Runtime check, code resolution, download, hash check and unpacking. Not bounded here: the caller applies the timeout. */
    public PreparedProgram prepare(ProgramInfo p) {
        LocalRuntime runtime = runtimes.require(p.content().runtime().ref());
        CodeContent code = p.content().code();
        String storeHash = resolveCodeRef(p);
        MessageRecord store = fetch(storeHash).orElseThrow(() -> new CrnException(400,
                "Code, runtime or data not available: code STORE " + storeHash + " not found", Map.of("ref", storeHash)));
        if (store.message() == null || !"processed".equals(statusOf(store))) {
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
        Path file = download(sc.itemHash());
        Path dir = unpack(file, sc.itemHash(), code);
        return new PreparedProgram(p, locateCodeRoot(dir, code), storeHash, sc.itemHash(), runtime);
    }

    /**
     * Downloads a code file into the file cache. The client streams it to a temporary file, checks
     * its sha256 against {@code fileHash} and renames it into place, so the cache never holds a
     * partial or wrong file.
     */
    private Path download(String fileHash) {
        Path target = filesDir.resolve(fileHash);
        if (Files.isRegularFile(target)) return target;
        if (!ItemHashes.isSha256Hash(fileHash)) {
            throw new CrnException(400, "Code, runtime or data not available: file " + fileHash + " is not a sha256 hash",
                    Map.of("file_hash", fileHash));
        }
        try {
            ccn.downloadFile(fileHash, target);
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

    private Path unpack(Path file, String fileHash, CodeContent code) {
        Encoding enc = code.encoding();
        String key = fileHash + "-" + enc.value() + (enc == Encoding.PLAIN ? "-" + safeName(code) : "");
        Path target = codeDir.resolve(key);
        if (Files.isDirectory(target)) return target;
        Path tmp = codeDir.resolve(key + ".tmp-" + Thread.currentThread().threadId());
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            switch (enc) {
                case ZIP -> unzip(file, tmp);
                case SQUASHFS -> unsquash(file, tmp);
                case PLAIN -> {
                    Path dest = tmp.resolve(safeName(code));
                    Files.copy(file, dest);
                    dest.toFile().setExecutable(true, false);
                }
            }
            moveIntoPlace(tmp, target);
            return target;
        } catch (IOException e) {
            throw new CrnException(400, "code archive " + fileHash + " (" + enc.value() + ") could not be unpacked: "
                    + e.getMessage(), Map.of("file_hash", fileHash, "encoding", enc.value()));
        } finally {
            deleteTree(tmp);
        }
    }

    /** Plain code is one file: a Python module named after the ASGI module, or the binary entrypoint itself. */
    private static String safeName(CodeContent code) {
        String ep = code.entrypoint();
        String name = code.effectiveInterface() == Interface.ASGI ? ep.substring(0, ep.indexOf(':')).replace('.', '_') + ".py" : ep;
        name = Path.of(name).getFileName().toString();
        return name.isBlank() || name.startsWith(".") ? "program" : name;
    }

    private static void unzip(Path file, Path dest) throws IOException {
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            var entries = zip.getEntries();
            int count = 0;
            while (entries.hasMoreElements()) {
                ZipArchiveEntry e = entries.nextElement();
                Path out = dest.resolve(e.getName()).normalize();
                if (!out.startsWith(dest)) throw new IOException("entry " + e.getName() + " escapes the archive");
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                try (InputStream in = zip.getInputStream(e)) {
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
                int mode = e.getUnixMode();
                if ((mode & 0111) != 0) out.toFile().setExecutable(true, false);
                count++;
            }
            if (count == 0) throw new IOException("the zip archive holds no file");
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IOException("not a valid zip archive: " + e.getMessage(), e);
        }
    }

    private void unsquash(Path file, Path dest) throws IOException {
        Path out = dest.resolve("root");
        ProcessBuilder pb = new ProcessBuilder("unsquashfs", "-no-xattrs", "-quiet", "-no-progress", "-d", out.toString(),
                file.toString()).redirectErrorStream(true);
        Process p = pb.start();
        try {
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(unpackTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException("unsquashfs did not finish within " + unpackTimeout.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                String text = new String(output).strip();
                throw new IOException("not a valid squashfs image (unsquashfs: "
                        + text.lines().reduce((a, b) -> b).orElse("exit " + p.exitValue()) + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unpacking");
        } finally {
            p.destroyForcibly();
        }
        // the image's root becomes the code dir
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(out)) {
            for (Path child : ds) Files.move(child, dest.resolve(child.getFileName()));
        }
        Files.delete(out);
    }

    /**
     * Archives made from a directory sometimes hold that directory as their only top entry; use it
     * as the root when the entrypoint is found there and not at the top.
     */
    private static Path locateCodeRoot(Path dir, CodeContent code) {
        String rel = code.effectiveInterface() == Interface.ASGI
                ? code.entrypoint().substring(0, code.entrypoint().indexOf(':')).replace('.', '/') : code.entrypoint();
        if (code.encoding() == Encoding.PLAIN || exists(dir, rel, code)) return dir;
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(children::add);
        } catch (IOException e) {
            return dir;
        }
        if (children.size() == 1 && Files.isDirectory(children.get(0)) && exists(children.get(0), rel, code)) {
            return children.get(0);
        }
        return dir;
    }

    private static boolean exists(Path dir, String rel, CodeContent code) {
        if (code.effectiveInterface() == Interface.ASGI) {
            return Files.exists(dir.resolve(rel + ".py")) || Files.exists(dir.resolve(rel).resolve("__init__.py"));
        }
        return Files.exists(dir.resolve(rel));
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
            // another preparation of the same hash won the race; its result is identical
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
    }

    static void deleteTree(Path p) {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var walk = Files.walk(p)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort cleanup
        }
    }

    /** True when {@code hash} has the shape of an item hash this node can look up. */
    public static boolean isItemHash(String hash) {
        return ItemHashes.isItemHash(hash);
    }
}
