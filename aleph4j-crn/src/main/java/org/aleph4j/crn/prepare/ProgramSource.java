package org.aleph4j.crn.prepare;

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
import org.aleph4j.message.content.ProgramContent;

/**
 * PROGRAM and STORE messages as the CRN reads them from its CCN: verified (item hash and
 * signature), pending ones treated as unknown, forgotten and rejected ones as gone; a code ref
 * resolved to its newest amendment when {@code use_latest}. Verified PROGRAMs are kept (they are
 * immutable by hash) until forgotten.
 */
final class ProgramSource {
    private final CcnClient ccn;
    private final MessageValidator validator = new MessageValidator(SignatureVerifier.best());
    /** PROGRAM messages are immutable by hash; forgotten ones are evicted by {@link #forget}. */
    private final Map<String, ProgramInfo> programs = new ConcurrentHashMap<>();

    ProgramSource(CcnClient ccn) {
        this.ccn = ccn;
    }

    /** The verified PROGRAM {@code hash}: 404 when unknown or forgotten, 400 when not a PROGRAM, 503 when the CCN fails. */
    ProgramInfo program(String hash) {
        ProgramInfo cached = programs.get(hash);
        if (cached != null) return cached;
        MessageRecord f = fetch(hash)
                .orElseThrow(() -> new CrnException(404, "Program not found: no message " + hash + " on the CCN",
                        Map.of("item_hash", hash)));
        String status = statusOf(f);
        MessageStatus typed = MessageStatus.parse(status).orElse(null);
        if (typed != null && typed.gone()) {
            Map<String, Object> details = new java.util.LinkedHashMap<>(Map.of("item_hash", hash, "status", status));
            String next = replacement(f);
            if (next != null) details.put("replaced_by", next);
            throw new CrnException(404, "Program " + hash + " was forgotten" + (next == null ? "" : "; it was replaced by " + next),
                    details);
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
    void forget(String hash) {
        programs.remove(hash);
    }

    /** The message {@code hash} as the CCN reports it; any CCN failure (unreachable, timeout, 5xx) is a 503. */
    Optional<MessageRecord> fetch(String hash) {
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

    /**
     * The program its owner replaced {@code forgotten} with, named by the reason of the FORGET
     * (persist/unpersist write it): one more bounded read of the CCN, a hint for the 404 only.
     */
    private String replacement(MessageRecord forgotten) {
        try {
            return org.aleph4j.client.Replacements.replacedBy(ccn, forgotten).orElse(null);
        } catch (CcnException | RuntimeException e) {
            return null; // a hint: without it the 404 is still right
        }
    }

    static String statusOf(MessageRecord r) {
        return r.status() == null ? MessageStatus.PROCESSED.value() : r.status();
    }

    /**
     * The item hash of the STORE the code ref currently resolves to (reference §3.4): without
     * use_latest the ref itself, with it {@link #latestAmend} (the program's owner standing in for
     * the STORE's when the CCN does not list the STORE).
     */
    String resolveCodeRef(ProgramInfo p) {
        CodeContent code = p.content().code();
        if (!Boolean.TRUE.equals(code.useLatest())) return code.ref();
        return latestAmend(code.ref(), p.owner(), "code");
    }

    /**
     * The newest amend of the STORE {@code ref}: the owner of the referenced STORE is read
     * ({@code messages.json?hashes=<ref>}), then the newest STORE by that owner whose content.ref
     * is the ref wins ({@code msgTypes=STORE&sortOrder=-1&refs=<ref>&owners=<owner>}), else the ref.
     * When the CCN does not list the STORE, {@code fallbackOwner} is used, or the ref returned when
     * it is null. A failing CCN is a 503 naming {@code what} the ref is for.
     */
    String latestAmend(String ref, String fallbackOwner, String what) {
        try {
            String owner = ccn.messages(MessageQuery.builder().hashes(ref).build()).messages().stream()
                    .filter(m -> ref.equals(m.itemHash()) && m.content() != null)
                    .map(m -> m.content().path("address").asText(""))
                    .filter(a -> !a.isEmpty())
                    .findFirst().orElse(fallbackOwner);
            if (owner == null) return ref;
            MessagePage amends = ccn.messages(MessageQuery.builder().msgTypes(MessageType.STORE.name()).refs(ref)
                    .owners(owner).sortOrder(-1).pagination(50).build());
            return amends.messages().stream()
                    .filter(m -> m.content() != null && owner.equalsIgnoreCase(m.content().path("address").asText())
                            && ref.equals(m.content().path("ref").asText()))
                    .map(AlephMessage::itemHash)
                    .filter(ItemHashes::isItemHash)
                    .findFirst().orElse(ref);
        } catch (CcnException e) {
            throw new CrnException(503, "CCN unavailable while resolving " + what + " " + ref + ": " + e.getMessage(),
                    Map.of("ref", ref));
        }
    }
}
