package org.aleph4j.ccn.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.aleph4j.ccn.balance.Cost;
import org.aleph4j.ccn.balance.CostCalculator;
import org.aleph4j.ccn.balance.Coverage;
import org.aleph4j.ccn.balance.Pricing;
import org.aleph4j.ccn.files.FileStore;
import org.aleph4j.ccn.storage.MessageRow;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.ErrorCode;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.InstanceContent;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.content.Volume;
import org.jdbi.v3.core.Handle;

/**
 * The processing steps after intake (ARCHITECTURE §4): content fetch, permission, dependencies, the type
 * handler, cost and balance. Runs inside one transaction per message; never does anything but SQL and reading
 * local files, so the caller decides on threads and time.
 */
public final class MessageHandlers {
    /**
     * On-demand programs received before this time are free (upstream's cutoff, reference §5.6). Upstream compares
     * the sender-chosen {@code content.time}, so anyone could back-date a program and run it for nothing; here the
     * node's own reception time decides, which only an imported pre-cutoff log can predate.
     */
    public static final double FREE_ON_DEMAND_BEFORE = 1_743_775_079.0;
    static final String BALANCES_UPDATE = "balances-update";

    private final MessageStore store;
    private final FileStore files;
    private final Set<String> oracles;
    private final Aggregates aggregates;
    private final Permissions permissions;
    /** Runtime refs of upstream aleph.im that a PROGRAM may name without their STORE being here (CcnConfig). */
    private final Set<String> upstreamRuntimes;

    /** Accepting upstream's built-in runtime table ({@link org.aleph4j.message.runtime.UpstreamRuntimes}). */
    public MessageHandlers(MessageStore store, FileStore files, Set<String> oracleAddresses, String pricingOwner) {
        this(store, files, oracleAddresses, pricingOwner, org.aleph4j.message.runtime.UpstreamRuntimes.builtIn().stream()
                .map(org.aleph4j.message.runtime.UpstreamRuntimes.Runtime::ref).collect(Collectors.toSet()));
    }

    public MessageHandlers(MessageStore store, FileStore files, Set<String> oracleAddresses, String pricingOwner,
                           Set<String> upstreamRuntimeRefs) {
        this.upstreamRuntimes = Set.copyOf(upstreamRuntimeRefs);
        this.store = store;
        this.files = files;
        this.oracles = oracleAddresses.stream().map(a -> a.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
        this.aggregates = new Aggregates(store, pricingOwner);
        this.permissions = new Permissions(aggregates);
    }

    private static String lc(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }

    private static Outcome.Rejected reject(ErrorCode code, String reason) {
        return new Outcome.Rejected(code, reason, Map.of());
    }

    /** A parsed pending message: envelope and content. */
    record Parsed(AlephMessage message, Content content, JsonNode contentTree) {}

    /** Processes one pending row; side effects beyond the row itself are collected in {@code fx}. */
    public Outcome process(Handle h, MessageRow row, double now, Effects fx) {
        Parsed p;
        try {
            AlephMessage m = MessageValidator.parseEnvelope(Json.parseTree(row.envelope()));
            if (m.itemType() == ItemType.INLINE) {
                Content c = MessageValidator.checkInline(m);
                p = new Parsed(m, c, Json.parseTree(m.itemContent()));
            } else if (m.itemType() == ItemType.STORAGE) {
                if (!files.exists(m.itemHash())) {
                    return new Outcome.Retry(ErrorCode.CONTENT_UNAVAILABLE, "content " + m.itemHash() + " is not available", m.itemHash());
                }
                byte[] bytes = files.read(m.itemHash());
                Content c = MessageValidator.checkFetched(m, bytes);
                p = new Parsed(m, c, Json.parseTree(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)));
            } else {
                // aleph4j nodes run no IPFS daemon: IPFS content stays unavailable (retried, as upstream would).
                return new Outcome.Retry(ErrorCode.CONTENT_UNAVAILABLE, "IPFS content " + m.itemHash() + " is not available", m.itemHash());
            }
        } catch (MessageException e) {
            return new Outcome.Rejected(e.code(), e.getMessage(), e.details());
        } catch (IOException e) {
            return new Outcome.Retry(ErrorCode.CONTENT_UNAVAILABLE, "content could not be read: " + e.getMessage(), row.itemHash());
        }
        if (!permissions.mayActFor(h, p.message(), p.content().address(), p.content())) {
            return reject(ErrorCode.PERMISSION_DENIED, "sender " + p.message().sender() + " may not act for " + p.content().address());
        }
        return switch (p.content()) {
            case PostContent c -> post(h, p, c, now);
            case AggregateContent c -> processed(p, c.keyName(), null, null, null, null, null);
            case StoreContent c -> store(h, p, c, fx);
            case ProgramContent c -> program(h, p, c, row.receptionTime());
            case InstanceContent c -> instance(h, p, c);
            case ForgetContent c -> forget(h, p, c, fx);
        };
    }

    private Outcome processed(Parsed p, String key, String ref, String itemHash, String paymentType, Long size, Cost cost) {
        String type = p.content() instanceof PostContent pc ? pc.type() : p.contentTree().path("type").isTextual()
                ? p.contentTree().path("type").asText() : null;
        return new Outcome.Processed(new MessageStore.ContentFields(p.content().address(), Json.write(p.contentTree()), type, key,
                ref, itemHash, paymentType, size, cost == null ? null : cost.hold().toPlainString(),
                org.aleph4j.ccn.storage.MessageTags.of(p.message().type().name(), p.contentTree())));
    }

    /** The merged aggregate of {@code owner} for {@code keys} (all keys when empty): {key: merged object}. */
    public ObjectNode aggregate(Handle h, String owner, List<String> keys) {
        return aggregates.merged(h, owner, keys);
    }

    /** The node's current prices: the defaults overridden by the pricing owner's {@code pricing} aggregate. */
    public Pricing pricing(Handle h) {
        return aggregates.pricing(h);
    }

    // ---- POST

    private Outcome post(Handle h, Parsed p, PostContent c, double now) {
        String ref = c.refString();
        if ("amend".equals(c.type())) {
            Optional<MessageRow> target = store.find(h, ref);
            if (target.isEmpty() || !MessageStatus.PROCESSED.is(target.get().status())) {
                return new Outcome.Retry(ErrorCode.POST_AMEND_TARGET_NOT_FOUND, "amended post " + ref + " not found", ref);
            }
            if ("amend".equals(target.get().contentType())) return reject(ErrorCode.POST_AMEND_AMEND, "cannot amend an amend");
        }
        if (BALANCES_UPDATE.equals(c.type()) && oracles.contains(lc(p.message().sender()))) {
            JsonNode body = c.content() == null ? Json.MAPPER.createObjectNode() : c.content();
            JsonNode balances = body.path("balances");
            if (!balances.isObject()) return reject(ErrorCode.INVALID_FORMAT, "balances-update needs a balances object");
            String chain = body.path("chain").asText(null);
            Long height = body.path("main_height").canConvertToLong() ? body.path("main_height").asLong() : null;
            for (Iterator<Map.Entry<String, JsonNode>> it = balances.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                BigDecimal amount;
                try {
                    amount = e.getValue().isNumber() ? e.getValue().decimalValue() : new BigDecimal(e.getValue().asText());
                } catch (NumberFormatException ex) {
                    return reject(ErrorCode.INVALID_FORMAT, "balance of " + e.getKey() + " is not a number");
                }
                store.setBalance(h, e.getKey(), chain, amount, height);
                recheckCoverage(h, e.getKey());
            }
        }
        return processed(p, null, ref, null, null, null, null);
    }

    /** Moves an owner's live holds between processed and removing so that the balance covers the processed ones. */
    void recheckCoverage(Handle h, String owner) {
        BigDecimal balance = store.balance(h, owner).orElse(BigDecimal.ZERO);
        List<MessageRow> live = store.liveHolds(h, owner);
        List<Coverage.Held> held = live.stream().map(r -> new Coverage.Held(r.itemHash(), new BigDecimal(r.costHold()))).toList();
        Set<String> uncovered = Set.copyOf(Coverage.uncovered(balance, held));
        for (MessageRow r : live) {
            boolean short_ = uncovered.contains(r.itemHash());
            if (short_ && MessageStatus.PROCESSED.is(r.status())) {
                store.setStatus(h, r.itemHash(), MessageStatus.REMOVING.value(), "balance_insufficient");
            } else if (!short_ && MessageStatus.REMOVING.is(r.status())) {
                store.setStatus(h, r.itemHash(), MessageStatus.PROCESSED.value(), null);
            }
        }
    }

    // ---- STORE (reference §3)

    private Outcome store(Handle h, Parsed p, StoreContent c, Effects fx) {
        // item_type ipfs naming a sha256 is what upstream's clients send after this node's /api/v0/ipfs/add_file
        // (which stores by sha256, there being no IPFS here): the hash names a file of this node's store
        if (c.itemType() == ItemType.IPFS && !ItemHashes.isSha256Hash(c.itemHash())) {
            return new Outcome.Retry(ErrorCode.FILE_UNAVAILABLE, "IPFS file " + c.itemHash() + " is not available", c.itemHash());
        }
        if (!files.exists(c.itemHash())) {
            return new Outcome.Retry(ErrorCode.FILE_UNAVAILABLE, "file " + c.itemHash() + " is not available", c.itemHash());
        }
        String tag = p.message().itemHash();
        if (c.ref() != null) {
            if (ItemHashes.isItemHash(c.ref())) {
                Optional<MessageRow> target = store.find(h, c.ref());
                if (target.isEmpty() || !MessageStatus.PROCESSED.is(target.get().status()) || !"STORE".equals(target.get().type())) {
                    return new Outcome.Retry(ErrorCode.STORE_REF_NOT_FOUND, "STORE " + c.ref() + " not found", c.ref());
                }
                if (target.get().contentRef() != null) return reject(ErrorCode.STORE_UPDATE_UPDATE, "cannot update an update");
                if (!lc(target.get().owner()).equals(lc(c.address()))) {
                    return reject(ErrorCode.PERMISSION_DENIED, "only the owner of " + c.ref() + " may update it");
                }
                tag = c.ref();
            } else {
                tag = c.address() + "/" + c.ref();
            }
        }
        long size;
        try {
            size = files.size(c.itemHash());
        } catch (IOException e) {
            return new Outcome.Retry(ErrorCode.FILE_UNAVAILABLE, "file " + c.itemHash() + " is not readable", c.itemHash());
        }
        Cost cost = CostCalculator.store(c, size, pricing(h));
        boolean charged = c.payment() == null || c.payment().isHold();
        Cost held = charged && size > CostCalculator.FREE_STORE_BYTES ? cost : null;
        if (held != null) {
            Outcome.Rejected r = checkBalance(h, c.address(), held, null);
            if (r != null) return r;
        }
        store.pinFile(h, c.itemHash());
        Optional<MessageStore.FileTag> existing = store.tag(h, tag);
        if (existing.isEmpty() || existing.get().time() <= c.time()) {
            store.upsertTag(h, new MessageStore.FileTag(tag, c.address(), c.itemHash(), p.message().itemHash(), c.time()));
        }
        fx.wakeKeys.add(tag);
        return processed(p, null, c.ref(), c.itemHash(), c.payment() == null ? "hold" : c.payment().type(), size, held);
    }

    /**
     * Size in bytes of the file a STORE message (or file tag) names; 0 when unknown. An upstream runtime accepted
     * without its STORE therefore costs nothing here: its image is the CRN's, not a file this network stores.
     */
    long fileBytesOfRef(Handle h, String ref) {
        String fileHash = store.tag(h, ref).map(MessageStore.FileTag::fileHash)
                .orElseGet(() -> store.find(h, ref).map(MessageRow::contentItemHash).orElse(null));
        if (fileHash == null) return 0;
        return store.fileSize(h, fileHash).orElse(0L);
    }

    private boolean storeExists(Handle h, String ref) {
        if (store.tag(h, ref).isPresent()) return true;
        return store.find(h, ref).filter(r -> "STORE".equals(r.type()) && MessageStatus.PROCESSED.is(r.status())).isPresent();
    }

    // ---- PROGRAM (reference §2 "CCN validation")

    private Outcome program(Handle h, Parsed p, ProgramContent c, double receivedAt) {
        String runtime = c.runtime() == null ? null : c.runtime().ref();
        for (String ref : VolumeRefs.of(c)) {
            // upstream's official runtimes live on aleph.im's network; a CRN maps them to a local runtime
            if (ref.equals(runtime) && upstreamRuntimes.contains(ref)) continue;
            if (!storeExists(h, ref)) return new Outcome.Retry(ErrorCode.VM_VOLUME_NOT_FOUND, "volume " + ref + " not found", ref);
        }
        if (c.replaces() != null) {
            Optional<MessageRow> target = store.find(h, c.replaces())
                    .filter(r -> "PROGRAM".equals(r.type()) && MessageStatus.parse(r.status()).map(MessageStatus::visible).orElse(false));
            if (target.isEmpty()) return new Outcome.Retry(ErrorCode.VM_REF_NOT_FOUND, "replaced program " + c.replaces() + " not found", c.replaces());
            if (!lc(target.get().owner()).equals(lc(c.address()))) {
                return reject(ErrorCode.PERMISSION_DENIED, "only the owner of " + c.replaces() + " may replace it");
            }
            JsonNode tc = parseOrEmpty(target.get().content());
            if (tc.hasNonNull("replaces")) return reject(ErrorCode.VM_UPDATE_UPDATE, "cannot replace a replacement");
            if (!tc.path("allow_amend").asBoolean(false)) {
                return reject(ErrorCode.VM_AMEND_NOT_ALLOWED, "program " + c.replaces() + " does not allow amends");
            }
        }
        Cost cost = CostCalculator.program(c, pricing(h), ref -> fileBytesOfRef(h, ref));
        boolean free = !c.isPersistent() && receivedAt < FREE_ON_DEMAND_BEFORE;
        Cost held = !"hold".equals(c.paymentType()) ? null : free ? Cost.free(cost.product()) : cost;
        if (held != null) {
            // A replacement supersedes its target (persist/unpersist forget the target right after),
            // so the target's hold is not counted twice against the owner.
            Outcome.Rejected r = checkBalance(h, c.address(), held, c.replaces());
            if (r != null) return r;
        }
        return processed(p, null, c.replaces(), null, c.paymentType(), null, held);
    }

    private Outcome instance(Handle h, Parsed p, InstanceContent c) {
        String parent = c.rootfs() == null ? null : c.rootfs().path("parent").path("ref").asText(null);
        if (parent != null && !storeExists(h, parent)) {
            return new Outcome.Retry(ErrorCode.VM_VOLUME_NOT_FOUND, "rootfs " + parent + " not found", parent);
        }
        for (Volume v : c.volumes()) {
            if (v instanceof Volume.Immutable im && !storeExists(h, im.ref())) {
                return new Outcome.Retry(ErrorCode.VM_VOLUME_NOT_FOUND, "volume " + im.ref() + " not found", im.ref());
            }
        }
        String paymentType = c.payment() == null || c.payment().type() == null ? "hold" : c.payment().type();
        Cost cost = CostCalculator.instance(c, pricing(h), ref -> fileBytesOfRef(h, ref));
        Cost held = "hold".equals(paymentType) ? cost : null;
        if (held != null) {
            Outcome.Rejected r = checkBalance(h, c.address(), held, c.replaces());
            if (r != null) return r;
        }
        return processed(p, null, c.replaces(), null, paymentType, null, held);
    }

    /** The error-5 outcome when {@code owner}'s balance does not cover its live holds plus {@code cost}, else null. */
    public Outcome.Rejected balanceShortfall(Handle h, String owner, Cost cost) {
        return checkBalance(h, owner, cost, null);
    }

    /** Error 5 unless the owner's balance covers its live holds (but {@code superseded}'s) plus {@code cost}. */
    private Outcome.Rejected checkBalance(Handle h, String owner, Cost cost, String superseded) {
        if (cost.hold().signum() == 0) return null;
        BigDecimal balance = store.balance(h, owner).orElse(BigDecimal.ZERO);
        BigDecimal required = cost.hold();
        for (MessageRow r : store.liveHolds(h, owner)) {
            if (!r.itemHash().equals(superseded)) required = required.add(new BigDecimal(r.costHold()));
        }
        if (balance.compareTo(required) >= 0) return null;
        return new Outcome.Rejected(ErrorCode.BALANCE_INSUFFICIENT,
                "insufficient balance: " + required.stripTrailingZeros().toPlainString() + " required, "
                        + balance.stripTrailingZeros().toPlainString() + " available",
                Map.of("errors", List.of(Map.of("required_balance", required.stripTrailingZeros().toPlainString(),
                        "account_balance", balance.stripTrailingZeros().toPlainString()))));
    }

    private static JsonNode parseOrEmpty(String json) {
        if (json == null) return Json.MAPPER.createObjectNode();
        try {
            return Json.parseTree(json);
        } catch (MessageException e) {
            return Json.MAPPER.createObjectNode();
        }
    }

    // ---- FORGET (reference §1.6)

    private Outcome forget(Handle h, Parsed p, ForgetContent c, Effects fx) {
        List<MessageRow> targets = new ArrayList<>();
        for (String hash : c.hashes()) {
            Optional<MessageRow> t = store.find(h, hash);
            if (t.isEmpty() || MessageStatus.PENDING.is(t.get().status())) {
                return new Outcome.Retry(ErrorCode.FORGET_TARGET_NOT_FOUND, "message " + hash + " not found", hash);
            }
            MessageRow target = t.get();
            if (MessageStatus.REJECTED.is(target.status())) continue;
            if ("FORGET".equals(target.type())) return reject(ErrorCode.FORGET_FORGET, "a FORGET cannot be forgotten");
            if (!permissions.mayForget(h, p.message(), c, target)) {
                return reject(ErrorCode.PERMISSION_DENIED, "sender " + p.message().sender() + " may not forget " + hash);
            }
            if ("STORE".equals(target.type())) {
                String user = liveUserOf(h, target.itemHash());
                if (user != null) return reject(ErrorCode.FORGET_NOT_ALLOWED, "File " + target.itemHash() + " used on vm " + user);
            }
            targets.add(target);
        }
        if (!c.aggregates().isEmpty()) {
            for (MessageRow r : store.aggregateMessages(h, c.address(), c.aggregates())) targets.add(r);
        }
        boolean any = false;
        for (MessageRow target : targets) {
            if (MessageStatus.FORGOTTEN.is(target.status())) continue;
            any = true;
            ArrayNode by = Json.MAPPER.createArrayNode();
            parseArray(target.forgottenBy()).forEach(by::add);
            by.add(p.message().itemHash());
            store.markForgotten(h, target.itemHash(), Json.write(by));
            if ("STORE".equals(target.type())) {
                store.deleteTagsOfStore(h, target.itemHash());
                if (target.contentItemHash() != null && !otherPin(h, target)) fx.filesToDelete.add(target.contentItemHash());
            }
        }
        if (!any && !targets.isEmpty()) return reject(ErrorCode.FORGOTTEN_DUPLICATE, "every target is already forgotten");
        return processed(p, null, null, null, null, null, null);
    }

    private boolean otherPin(Handle h, MessageRow target) {
        // The target is still counted by fileStillPinned until its status changes in this transaction; it has.
        return store.fileStillPinned(h, target.contentItemHash());
    }

    private static List<String> parseArray(String json) {
        List<String> out = new ArrayList<>();
        JsonNode n = parseOrEmpty(json);
        if (n.isArray()) n.forEach(v -> out.add(v.asText()));
        return out;
    }

    /** A live PROGRAM or INSTANCE that uses the STORE {@code storeHash}, or null. */
    private String liveUserOf(Handle h, String storeHash) {
        for (MessageRow r : store.liveOfTypes(h, List.of("PROGRAM", "INSTANCE"))) {
            try {
                Content content = org.aleph4j.message.Contents.parse(MessageType.valueOf(r.type()), r.content());
                List<String> refs = VolumeRefs.of(content);
                if (refs.contains(storeHash)) return r.itemHash();
            } catch (MessageException | RuntimeException e) {
                // unreadable stored content cannot pin anything
            }
        }
        return null;
    }
}
