package org.aleph4j.message;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Item hash rules (reference §1.2): sha256 of inline content, hash shapes of storage and IPFS items. */
public final class ItemHashes {
    /** Upstream rejects inline item_content longer than this many characters. */
    public static final int MAX_INLINE_CHARS = 200_000;

    private static final Pattern STORAGE = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CID_V0 = Pattern.compile("Qm[1-9A-HJ-NP-Za-km-z]{42,44}");
    private static final Pattern CID_V1 = Pattern.compile("bafy[a-z2-7]{55}");

    private ItemHashes() {}

    public static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256(bytes));
    }

    public static String sha256Hex(String utf8) {
        return sha256Hex(utf8.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    /** 64 lowercase hex characters: a sha256 item hash (inline or storage). */
    public static boolean isSha256Hash(String hash) {
        return hash != null && STORAGE.matcher(hash).matches();
    }

    public static boolean isIpfsCid(String hash) {
        return hash != null && (CID_V0.matcher(hash).matches() || CID_V1.matcher(hash).matches());
    }

    /** A valid item hash of any kind. */
    public static boolean isItemHash(String hash) {
        return isSha256Hash(hash) || isIpfsCid(hash);
    }

    /** The item type implied by a hash's shape, or null when the shape is invalid. */
    public static ItemType inferItemType(String hash) {
        if (isSha256Hash(hash)) return ItemType.STORAGE;
        if (isIpfsCid(hash)) return ItemType.IPFS;
        return null;
    }
}
