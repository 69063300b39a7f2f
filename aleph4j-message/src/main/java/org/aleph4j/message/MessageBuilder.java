package org.aleph4j.message;

import org.aleph4j.message.content.Content;

/** Builds signed inline messages from typed contents, as upstream's SDK does. */
public final class MessageBuilder {
    /** Channel upstream's SDK and CLI use by default. */
    public static final String DEFAULT_CHANNEL = "ALEPH-CLOUDSOLUTIONS";

    private MessageBuilder() {}

    /** Signs {@code content} as an inline message of {@code type} on ETH. */
    public static AlephMessage build(EthAccount account, MessageType type, Content content, String channel, double time)
            throws MessageException {
        String itemContent = Contents.canonical(content);
        if (itemContent.length() > ItemHashes.MAX_INLINE_CHARS) {
            throw new MessageException(ErrorCode.INVALID_FORMAT,
                    "content is " + itemContent.length() + " characters; inline messages are limited to " + ItemHashes.MAX_INLINE_CHARS);
        }
        if (itemContent.contains("\\u0000")) {
            // Upstream's CCN refuses any escaped NUL in item_content; fail here rather than at submission.
            throw new MessageException(ErrorCode.INVALID_FORMAT, "content contains a NUL character, which upstream rejects");
        }
        String hash = ItemHashes.sha256Hex(itemContent);
        AlephMessage unsigned = new AlephMessage(Chain.ETH, account.address(), type, channel == null ? DEFAULT_CHANNEL : channel,
                ItemType.INLINE, itemContent, hash, null, time, null, null, null, null, null, null);
        return unsigned.withSignature(account.signEip191(unsigned.verificationBuffer()));
    }
}
