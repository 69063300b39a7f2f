package org.aleph4j.message.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.StoreContent;

/**
 * aleph4j's default runtime (Python 3 + uvicorn for ASGI, any executable for binary programs).
 * PROGRAM messages name a runtime by the item hash of the STORE message that pins its file. To
 * make that hash a constant the CLI can default to, the STORE is deterministic: a fixed
 * descriptor file, a fixed time and a fixed publisher key whose (RFC 6979) signatures are
 * deterministic. The publisher key is public on purpose: it only names this well-known file.
 * Production networks may publish their own runtimes and pass {@code --runtime}.
 */
public final class DefaultRuntime {
    /** Publisher key of the default runtime STORE; public, it signs nothing but that STORE. */
    private static final String PUBLISHER_KEY = "a1e9400000000000000000000000000000000000000000000000000000000001";
    private static final double TIME = 1_700_000_000.0;
    public static final String COMMENT = "aleph4j Python 3 runtime (uvicorn)";

    /** The descriptor file's bytes. */
    public static byte[] descriptor() {
        try (InputStream in = DefaultRuntime.class.getResourceAsStream("aleph4j-python3.json")) {
            if (in == null) throw new IllegalStateException("runtime descriptor resource is missing");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** sha256 of the descriptor file (the STORE's content.item_hash). */
    public static String fileHash() {
        return ItemHashes.sha256Hex(descriptor());
    }

    /** The account that publishes the runtime STORE. */
    public static EthAccount publisher() {
        return EthAccount.fromHex(PUBLISHER_KEY);
    }

    /** The signed STORE message that pins the descriptor; identical on every node. */
    public static AlephMessage storeMessage() {
        EthAccount publisher = publisher();
        StoreContent content = new StoreContent(publisher.address(), TIME, ItemType.STORAGE, fileHash(), null, null, null,
                null, null);
        try {
            return MessageBuilder.build(publisher, MessageType.STORE, content, "ALEPH4J-RUNTIMES", TIME);
        } catch (MessageException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The runtime ref that PROGRAM messages use: the item hash of {@link #storeMessage()}. */
    public static String ref() {
        return Holder.REF;
    }

    private static final class Holder {
        static final String REF = storeMessage().itemHash();
    }

    private DefaultRuntime() {}
}
