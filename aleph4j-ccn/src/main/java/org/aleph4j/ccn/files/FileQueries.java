package org.aleph4j.ccn.files;

import static org.aleph4j.ccn.api.Responses.json;

import io.javalin.http.Context;
import java.io.IOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.aleph4j.ccn.CcnLimits;
import org.aleph4j.ccn.api.ApiException;
import org.aleph4j.ccn.api.QueryParams;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.MessageStatus;

/**
 * Reading stored files as JSON (pyaleph {@code storage.py}): the content base64-encoded
 * ({@code /api/v0/storage/{hash}}, bounded by {@link CcnLimits#maxBase64FileBytes}) and file metadata by file hash,
 * by STORE message and by file tag ({@code ref}).
 */
public final class FileQueries {
    private final Database db;
    private final MessageStore store;
    private final FileStore files;
    private final CcnLimits limits;

    public FileQueries(Database db, MessageStore store, FileStore files, CcnLimits limits) {
        this.db = db;
        this.store = store;
        this.files = files;
        this.limits = limits;
    }

    /** A file hash: a sha256 (this node's engine) or a CID (upstream's IPFS engine, never stored here); else 400. */
    private static String engineOf(String hash) {
        if (ItemHashes.isSha256Hash(hash)) return "storage";
        if (ItemHashes.isIpfsCid(hash)) return "ipfs";
        throw new ApiException(400, -1, "Invalid hash provided: " + hash, Map.of("hash", hash));
    }

    private long knownSize(String hash) {
        Optional<Long> size = db.jdbi().withHandle(h -> store.fileSize(h, hash));
        if (size.isEmpty() || !files.exists(hash)) throw new ApiException(404, -1, "No file found for hash " + hash, Map.of("hash", hash));
        return size.get();
    }

    /**
     * {@code GET /api/v0/storage/{hash}}: {@code {status, hash, engine, content}} with the content base64-encoded as
     * Python's {@code base64.encodebytes} does (lines of 76 characters, each ended by a newline), which every
     * base64 decoder of upstream's clients accepts. The file is read into memory, so it must be at most
     * {@link CcnLimits#maxBase64FileBytes}: 413 with {@code details: {max_size, actual_size}} (upstream's fields)
     * past it; {@code storage/raw} streams files of any size.
     */
    public void base64(Context ctx) throws IOException {
        String hash = ctx.pathParam("hash");
        String engine = engineOf(hash);
        if (!"storage".equals(engine)) throw new ApiException(404, -1, "No file found for hash " + hash + " (this node has no IPFS)", Map.of("hash", hash));
        long size = knownSize(hash);
        long max = limits.maxBase64FileBytes();
        if (size > max) {
            throw new ApiException(413, -1, "file of " + size + " bytes is larger than " + max
                    + " bytes, the most served base64-encoded; download it from /api/v0/storage/raw/" + hash,
                    Map.of("max_size", max, "actual_size", size));
        }
        byte[] bytes = files.read(hash);
        String encoded = Base64.getMimeEncoder(76, new byte[] {'\n'}).encodeToString(bytes);
        if (!encoded.isEmpty()) encoded += "\n";
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("status", "success");
        out.put("hash", hash);
        out.put("engine", engine);
        out.put("content", encoded);
        json(ctx, 200, out);
    }

    /** {@code GET /api/v0/storage/metadata/{hash}}: {@code {file_hash, type, size, download_url}}; 404 unknown. */
    public void metadata(Context ctx) {
        String hash = ctx.pathParam("hash");
        engineOf(hash);
        long size = knownSize(hash);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file_hash", hash);
        out.put("type", "file");
        out.put("size", size);
        out.put("download_url", "/api/v0/storage/raw/" + hash);
        json(ctx, 200, out);
    }

    /**
     * {@code GET /api/v0/storage/by-message-hash/{hash}}: the file a live STORE pins,
     * {@code {ref, owner, file_hash, download_url, size}} ({@code ref} is the STORE's own hash when it has none).
     */
    public void byMessageHash(Context ctx) {
        String hash = ctx.pathParam("hash");
        if (!ItemHashes.isItemHash(hash)) throw new ApiException(400, -1, "Invalid hash provided: " + hash, Map.of("hash", hash));
        MessageRow r = db.jdbi().withHandle(h -> store.find(h, hash))
                .filter(m -> "STORE".equals(m.type()) && MessageStatus.parse(m.status()).map(MessageStatus::visible).orElse(false)
                        && m.contentItemHash() != null)
                .orElseThrow(() -> new ApiException(404, -1, "No file found for message " + hash, Map.of("hash", hash)));
        long size = db.jdbi().withHandle(h -> store.fileSize(h, r.contentItemHash())).orElse(r.size() == null ? 0L : r.size());
        json(ctx, 200, fileMetadata(r.contentRef() != null ? r.contentRef() : hash, r.owner(), r.contentItemHash(), size));
    }

    /**
     * {@code GET /api/v0/storage/by-ref/{ref}} (an item hash ref) and {@code /api/v0/storage/by-ref/{address}/{ref}}
     * (a free-form ref of that owner): the latest file of the tag, {@code {ref, owner, file_hash, download_url, size}}.
     */
    public void byRef(Context ctx, boolean withAddress) {
        String ref = ctx.pathParam("ref");
        String tag;
        if (ItemHashes.isItemHash(ref)) {
            tag = ref;
        } else if (withAddress) {
            tag = QueryParams.address(ctx.pathParam("address"), "address") + "/" + ref;
        } else {
            throw new ApiException(400, -1, "address is required for user-defined ref", Map.of("ref", ref));
        }
        MessageStore.FileTag t = db.jdbi().withHandle(h -> store.tag(h, tag))
                .orElseThrow(() -> new ApiException(404, -1, "No file found for tag " + tag, Map.of("tag", tag)));
        long size = db.jdbi().withHandle(h -> store.fileSize(h, t.fileHash())).orElse(0L);
        json(ctx, 200, fileMetadata(ref, t.owner(), t.fileHash(), size));
    }

    private static Map<String, Object> fileMetadata(String ref, String owner, String fileHash, long size) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ref", ref);
        out.put("owner", owner);
        out.put("file_hash", fileHash);
        out.put("download_url", "/api/v0/storage/raw/" + fileHash);
        out.put("size", size);
        return out;
    }
}
