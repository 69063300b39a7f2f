package org.aleph4j.message.content;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;

/** STORE content: pins a file by hash; {@code ref} makes it an update of an earlier file (a file tag). */
@JsonPropertyOrder({"address", "time", "item_type", "item_hash", "size", "content_type", "ref", "metadata", "payment"})
public record StoreContent(String address, double time, ItemType itemType, String itemHash, Long size,
                           String contentType, String ref, JsonNode metadata, Payment payment) implements Content {
    @Override
    public List<String> problems() {
        Checks c = new Checks().address(address).time(time).required("item_type", itemType).required("item_hash", itemHash)
                .check(itemType != ItemType.INLINE, "item_type of a stored file must be storage or ipfs");
        if (itemType == ItemType.STORAGE) c.check(ItemHashes.isSha256Hash(itemHash), "item_hash must be a sha256 hex digest");
        if (itemType == ItemType.IPFS) c.check(ItemHashes.isIpfsCid(itemHash), "item_hash must be an IPFS CID");
        return c.done();
    }
}
