package org.aleph4j.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;

/** Answer to {@code GET /api/v0/price/{hash}} and {@code POST /api/v0/price/estimate}. */
public record Price(BigDecimal requiredTokens, String paymentType, BigDecimal cost, JsonNode detail,
                    String chargedAddress, JsonNode raw) {}
