package org.aleph4j.ccn.balance;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * Which live hold-paid messages a balance still covers: the oldest first, so that when funds run short the
 * newest ones go to {@code removing} until the rest is covered (and come back when funds return).
 */
public final class Coverage {
    private Coverage() {}

    /** A live message and its hold cost, in the order the owner created them. */
    public record Held(String itemHash, BigDecimal cost) {}

    /** Hashes that the balance does not cover. */
    public static List<String> uncovered(BigDecimal balance, List<Held> oldestFirst) {
        List<String> out = new ArrayList<>();
        BigDecimal used = BigDecimal.ZERO;
        boolean short_ = false;
        for (Held h : oldestFirst) {
            if (h.cost().signum() == 0) continue;
            if (!short_ && used.add(h.cost()).compareTo(balance) <= 0) {
                used = used.add(h.cost());
            } else {
                short_ = true;
                out.add(h.itemHash());
            }
        }
        return out;
    }
}
