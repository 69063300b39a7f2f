package org.aleph4j.ccn.balance;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/** The hold cost of one message, line by line (reference §5.5 shapes). */
public record Cost(String product, List<Line> detail, BigDecimal hold) {
    /** One cost line: {@code type} as upstream names it, a volume name when it is a volume, its hold cost and size. */
    public record Line(String type, String name, BigDecimal costHold, BigDecimal sizeMib) {}

    public static Cost of(String product, List<Line> detail) {
        BigDecimal total = BigDecimal.ZERO;
        for (Line l : detail) total = total.add(l.costHold());
        return new Cost(product, List.copyOf(detail), truncate(total));
    }

    public static Cost free(String product) {
        return new Cost(product, List.of(), BigDecimal.ZERO.setScale(18));
    }

    /** Truncated (floored) to 18 decimals, as upstream does. */
    public static BigDecimal truncate(BigDecimal v) {
        return v.setScale(18, RoundingMode.FLOOR);
    }
}
