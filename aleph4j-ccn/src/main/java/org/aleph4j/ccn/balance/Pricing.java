package org.aleph4j.ccn.balance;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * Hold prices per product, read from the {@code pricing} aggregate (reference §5.5) over aleph4j's defaults.
 * aleph4j's persistent program price is 2000 per compute unit (ARCHITECTURE §4), not upstream's 1000.
 */
public record Pricing(Product program, Product programPersistent, Product instance, BigDecimal storeHoldingPerMib) {
    /** One product: hold price per compute unit and per MiB of volume, and the size of a compute unit. */
    public record Product(BigDecimal computeUnitHolding, BigDecimal storageHoldingPerMib, int memoryMibPerUnit, int diskMibPerUnit) {}

    public static Pricing defaults() {
        return new Pricing(
                new Product(new BigDecimal("200"), new BigDecimal("0.05"), 2048, 2048),
                new Product(new BigDecimal("2000"), new BigDecimal("0.05"), 2048, 20480),
                new Product(new BigDecimal("1000"), new BigDecimal("0.05"), 2048, 20480),
                new BigDecimal("0.333333333"));
    }

    /** Overrides these prices with those present in a {@code pricing} aggregate value; absent or bad entries keep defaults. */
    public Pricing overriddenBy(JsonNode pricing) {
        if (pricing == null || !pricing.isObject()) return this;
        return new Pricing(product(pricing.path("program"), program), product(pricing.path("program_persistent"), programPersistent),
                product(pricing.path("instance"), instance),
                decimal(pricing.path("storage").path("price").path("storage").path("holding"), storeHoldingPerMib));
    }

    private static Product product(JsonNode n, Product d) {
        if (!n.isObject()) return d;
        JsonNode price = n.path("price");
        JsonNode cu = n.path("compute_unit");
        return new Product(decimal(price.path("compute_unit").path("holding"), d.computeUnitHolding()),
                decimal(price.path("storage").path("holding"), d.storageHoldingPerMib()),
                cu.path("memory_mib").isInt() && cu.path("memory_mib").asInt() > 0 ? cu.path("memory_mib").asInt() : d.memoryMibPerUnit(),
                cu.path("disk_mib").isInt() && cu.path("disk_mib").asInt() > 0 ? cu.path("disk_mib").asInt() : d.diskMibPerUnit());
    }

    private static BigDecimal decimal(JsonNode n, BigDecimal d) {
        if (n.isNumber()) return n.decimalValue();
        if (n.isTextual()) {
            try {
                return new BigDecimal(n.asText());
            } catch (NumberFormatException e) {
                return d;
            }
        }
        return d;
    }
}
