package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;

/**
 * STORE content: pins a file by hash; {@code ref} makes it an update of an earlier file (a file tag). An
 * {@code ipfs} item type normally names a CID; it may name a sha256 hex digest, which is what an aleph4j CCN's
 * {@code /api/v0/ipfs/add_file} answers (aleph4j has no IPFS): such a file is in the CCN's sha256 store.
 */
@JsonPropertyOrder({"address", "time", "item_type", "item_hash", "size", "content_type", "ref", "metadata", "payment"})
public record StoreContent(String address, double time, ItemType itemType, String itemHash, Long size,
                           String contentType, String ref, JsonNode metadata, Payment payment) implements Content {
    @Override
    public List<String> problems() {
        Checks c = new Checks().address(address).time(time).required("item_type", itemType).required("item_hash", itemHash)
                .check(itemType != ItemType.INLINE, "item_type of a stored file must be storage or ipfs");
        if (itemType == ItemType.STORAGE) c.check(ItemHashes.isSha256Hash(itemHash), "item_hash must be a sha256 hex digest");
        // ipfs with a sha256: what upstream's clients sign after an aleph4j CCN's /api/v0/ipfs/add_file answered the
        // file's sha256 (aleph4j has no IPFS); the hash, not the item_type, then says where the file is
        if (itemType == ItemType.IPFS) {
            c.check(ItemHashes.isIpfsCid(itemHash) || ItemHashes.isSha256Hash(itemHash), "item_hash must be an IPFS CID or a sha256 hex digest");
        }
        return c.done();
    }
}
