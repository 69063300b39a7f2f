package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;

/** Answer to {@code GET /api/v0/addresses/{address}/balance}; amounts in ALEPH. */
public record Balance(String address, BigDecimal balance, BigDecimal lockedAmount, JsonNode details,
                      long creditBalance, JsonNode raw) {
    /** What can still be held: balance minus the amount locked by live resources. */
    public BigDecimal available() {
        return balance.subtract(lockedAmount);
    }
}
