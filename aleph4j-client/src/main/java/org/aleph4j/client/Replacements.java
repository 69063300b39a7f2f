package org.aleph4j.client;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which program replaced a forgotten one, as a hint for messages only. {@code aleph program
 * persist}/{@code unpersist} forget the old program with the reason
 * {@code "Program unpersisted: replaced by <new hash>"}; the CCN keeps {@code forgotten_by} on the
 * forgotten message, so two bounded reads find it: the forgotten message, then its first FORGET.
 * The FORGET was signed by someone allowed to forget the program, yet the hash it names is never
 * checked to be the program's successor: use it to tell a user where to look, for nothing else.
 */
public final class Replacements {
    private static final Pattern REPLACED_BY = Pattern.compile("replaced by ([0-9a-f]{64})\\b");

    private Replacements() {}

    /** The reason of the FORGET a persist/unpersist sends for the program it replaced by {@code newHash}. */
    public static String forgetReason(boolean persisted, String newHash) {
        return (persisted ? "Program persisted" : "Program unpersisted") + ": replaced by " + newHash;
    }

    /** The hash a FORGET reason names as the replacement, if it names one. */
    public static Optional<String> fromReason(String reason) {
        if (reason == null) return Optional.empty();
        Matcher m = REPLACED_BY.matcher(reason);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /**
     * The replacement named by the FORGET of {@code forgotten} (a forgotten message), if any: at most
     * one more read of the CCN. Empty when it was not forgotten, or by a FORGET without such a reason.
     */
    public static Optional<String> replacedBy(CcnClient ccn, MessageRecord forgotten) throws CcnException {
        if (forgotten == null || !forgotten.forgotten() || forgotten.forgottenBy() == null || forgotten.forgottenBy().isEmpty()) {
            return Optional.empty();
        }
        Optional<MessageRecord> forget = ccn.message(forgotten.forgottenBy().get(0));
        if (forget.isEmpty() || forget.get().message() == null || forget.get().message().content() == null) return Optional.empty();
        return fromReason(forget.get().message().content().path("reason").asText(null));
    }

    /** {@link #replacedBy(CcnClient, MessageRecord)} for a hash: two reads at most. */
    public static Optional<String> replacedBy(CcnClient ccn, String hash) throws CcnException {
        Optional<MessageRecord> rec = ccn.message(hash);
        return rec.isEmpty() ? Optional.empty() : replacedBy(ccn, rec.get());
    }
}
