package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.MessageRecord;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.Contents;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.StoreContent;

/**
 * The files of STORE messages, for code and volumes alike: a STORE is read and checked (processed,
 * a STORE, storage item type, a sha256 file hash) and its file downloaded into the file cache
 * ({@code <data>/files/<sha256>}), verified against its hash before it appears there. Failures name
 * {@code what} the STORE is for ("code", "volume").
 */
final class StoreFiles {
    /** The file a STORE points at: its sha256 and the size the STORE declares (a stranger's claim, or null). */
    record StoreFile(String storeHash, String fileHash, Long declaredSize) {}

    private final CcnClient ccn;
    private final ProgramSource source;
    private final CodeCaches caches;
    private final Path filesDir;

    StoreFiles(CcnClient ccn, ProgramSource source, CodeCaches caches, Path filesDir) {
        this.ccn = ccn;
        this.source = source;
        this.caches = caches;
        this.filesDir = filesDir;
    }

    /**
     * The STORE {@code storeHash} as a file to download: 400 when it is unknown (or still pending),
     * forgotten, rejected, not a STORE, invalid, not a storage file or not named by a sha256 hash;
     * 503 when the CCN fails.
     */
    StoreFile store(String storeHash, String what) {
        Map<String, Object> ref = Map.of("ref", storeHash);
        MessageRecord store = source.fetch(storeHash).orElseThrow(() -> new CrnException(400,
                "Code, runtime or data not available: " + what + " STORE " + storeHash + " not found", ref));
        if (store.message() == null || !MessageStatus.PROCESSED.is(ProgramSource.statusOf(store))) {
            throw new CrnException(400, "Code, runtime or data not available: " + what + " STORE " + storeHash + " is "
                    + ProgramSource.statusOf(store), ref);
        }
        if (store.message().type() != MessageType.STORE) {
            throw new CrnException(400, what + " ref " + storeHash + " is a " + store.message().type() + ", not a STORE", ref);
        }
        if (!storeHash.equals(store.message().itemHash())) {
            throw new CrnException(502, "CCN returned message " + store.message().itemHash() + " for " + storeHash, ref);
        }
        StoreContent sc;
        try {
            sc = (StoreContent) Contents.parse(MessageType.STORE, store.message().content());
        } catch (MessageException | RuntimeException e) {
            throw new CrnException(400, what + " STORE " + storeHash + " is invalid: " + e.getMessage(), ref);
        }
        // an ipfs STORE naming a sha256 is what upstream's clients sign after an aleph4j CCN's ipfs/add_file
        // answered the file's sha256: the file is in the CCN's store like any storage file
        boolean sha256Ipfs = sc.itemType() == ItemType.IPFS && ItemHashes.isSha256Hash(sc.itemHash());
        if (sc.itemType() != ItemType.STORAGE && !sha256Ipfs) {
            throw new CrnException(400, what + " STORE " + storeHash + " uses "
                    + (sc.itemType() == null ? "no" : sc.itemType().value()) + " storage; this node reads files of the CCN's "
                    + "store only (storage, or ipfs naming a sha256)", ref);
        }
        String fileHash = sc.itemHash();
        if (!ItemHashes.isSha256Hash(fileHash)) {
            throw new CrnException(400, "Code, runtime or data not available: file " + ZipUnpacker.printable(String.valueOf(fileHash))
                    + " is not a sha256 hash", Map.of("ref", storeHash, "file_hash", String.valueOf(fileHash)));
        }
        return new StoreFile(storeHash, fileHash, sc.size());
    }

    /**
     * The file {@code fileHash} in the file cache, downloaded when missing. The client streams it to
     * a temporary file, checks its sha256 and renames it into place, so the cache never holds a
     * partial or wrong file. Called with the file's lock held. An unreachable or failing CCN (no
     * answer, 5xx) is a 503, a file the CCN does not have a 400, a copy that breaks off or does not
     * match its hash a 502.
     */
    Path download(String fileHash) {
        Path target = filesDir.resolve(fileHash);
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            caches.files.touch(fileHash);
            CodeCaches.touch(target);
            return target;
        }
        Map<String, Object> details = Map.of("file_hash", fileHash);
        try {
            ccn.downloadFile(fileHash, target);
            caches.files.put(fileHash, Files.size(target));
            return target;
        } catch (CcnException e) {
            if (e.isUnreachable() || e.httpStatus() >= 500) {
                throw new CrnException(503, "CCN unavailable while downloading file " + fileHash + ": " + e.getMessage(), details);
            }
            throw new CrnException(400, "Code, runtime or data not available: " + e.getMessage(), details);
        } catch (java.io.InterruptedIOException e) {
            throw new CrnException(503, "downloading file " + fileHash + " was interrupted", details);
        } catch (FileSystemException e) {
            throw new CrnException(500, "cannot store file " + fileHash + ": " + e.getMessage());
        } catch (IOException e) {
            // the body broke off mid-stream or its sha256 did not match: the CCN's copy is unusable
            throw new CrnException(502, "Code, runtime or data not available: file " + fileHash + ": " + e.getMessage(), details);
        }
    }
}
