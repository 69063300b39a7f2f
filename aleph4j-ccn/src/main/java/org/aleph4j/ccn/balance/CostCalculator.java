package org.aleph4j.ccn.balance;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import org.aleph4j.message.content.InstanceContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.Resources;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.content.Volume;

/**
 * Hold costs as upstream computes them (pyaleph {@code services/cost.py}, reference §5.5), as pure functions:
 * compute units, the internet multiplier for on-demand programs, volume costs per MiB and the volume discount.
 */
public final class CostCalculator {
    private static final BigDecimal MIB = BigDecimal.valueOf(1024L * 1024L);
    /** STORE hold payments up to this size are exempt from balance checks (upstream). */
    public static final long FREE_STORE_BYTES = 25L * 1024 * 1024;

    private CostCalculator() {}

    /** Compute units of possibly absent resources: absent ones take upstream's defaults (1 vCPU, 128 MiB). */
    private static int computeUnits(Resources r, int memoryMibPerUnit) {
        return (r == null ? new Resources(null, null, null, null) : r).computeUnits(memoryMibPerUnit);
    }

    /**
     * Cost of a PROGRAM. {@code fileBytesOfRef} gives the size of the file pinned by a STORE item hash (0 when
     * unknown; the caller already checked that refs exist).
     */
    public static Cost program(ProgramContent c, Pricing pricing, ToLongFunction<String> fileBytesOfRef) {
        boolean persistent = c.isPersistent();
        Pricing.Product p = persistent ? pricing.programPersistent() : pricing.program();
        int cu = computeUnits(c.resources(), p.memoryMibPerUnit());
        int mult = !persistent && c.environment() != null && c.environment().internet() ? 2 : 1;
        List<Cost.Line> lines = new ArrayList<>();
        lines.add(new Cost.Line("EXECUTION", null, p.computeUnitHolding().multiply(BigDecimal.valueOf((long) cu * mult)), null));
        List<Cost.Line> volumes = new ArrayList<>();
        if (c.code() != null) volumes.add(fileLine("EXECUTION_PROGRAM_VOLUME_CODE", "code", c.code().ref(), p, fileBytesOfRef));
        if (c.runtime() != null) volumes.add(fileLine("EXECUTION_PROGRAM_VOLUME_RUNTIME", "runtime", c.runtime().ref(), p, fileBytesOfRef));
        if (c.data() != null && c.data().ref() != null) volumes.add(fileLine("EXECUTION_PROGRAM_VOLUME_DATA", "data", c.data().ref(), p, fileBytesOfRef));
        volumes.addAll(volumeLines(c.volumes(), p, fileBytesOfRef));
        return withDiscount(persistent ? "program_persistent" : "program", lines, volumes, cu, p);
    }

    /** Cost of an INSTANCE: execution at the instance price, its rootfs and volumes. */
    public static Cost instance(InstanceContent c, Pricing pricing, ToLongFunction<String> fileBytesOfRef) {
        Pricing.Product p = pricing.instance();
        int cu = computeUnits(c.resources(), p.memoryMibPerUnit());
        List<Cost.Line> lines = new ArrayList<>();
        lines.add(new Cost.Line("EXECUTION", null, p.computeUnitHolding().multiply(BigDecimal.valueOf(cu)), null));
        List<Cost.Line> volumes = new ArrayList<>();
        JsonNode rootfs = c.rootfs();
        if (rootfs != null && rootfs.path("size_mib").canConvertToLong()) {
            BigDecimal mib = BigDecimal.valueOf(rootfs.path("size_mib").asLong());
            volumes.add(new Cost.Line("EXECUTION_INSTANCE_VOLUME_ROOTFS", "rootfs", mib.multiply(p.storageHoldingPerMib()), mib));
        }
        volumes.addAll(volumeLines(c.volumes(), p, fileBytesOfRef));
        return withDiscount("instance", lines, volumes, cu, p);
    }

    /** Cost of a STORE of {@code bytes}: storage price per MiB. */
    public static Cost store(StoreContent c, long bytes, Pricing pricing) {
        BigDecimal mib = BigDecimal.valueOf(bytes).divide(MIB, MathContext.DECIMAL64);
        return Cost.of("storage", List.of(new Cost.Line("STORAGE", c.itemHash(), mib.multiply(pricing.storeHoldingPerMib()), mib)));
    }

    private static Cost withDiscount(String product, List<Cost.Line> lines, List<Cost.Line> volumes, int cu, Pricing.Product p) {
        BigDecimal volumeTotal = BigDecimal.ZERO;
        for (Cost.Line l : volumes) volumeTotal = volumeTotal.add(l.costHold());
        BigDecimal included = BigDecimal.valueOf((long) cu * p.diskMibPerUnit()).multiply(p.storageHoldingPerMib());
        lines.addAll(volumes);
        if (volumeTotal.signum() > 0) {
            lines.add(new Cost.Line("EXECUTION_VOLUME_DISCOUNT", null, volumeTotal.min(included).negate(), null));
        }
        return Cost.of(product, lines);
    }

    private static List<Cost.Line> volumeLines(List<Volume> volumes, Pricing.Product p, ToLongFunction<String> fileBytesOfRef) {
        List<Cost.Line> out = new ArrayList<>();
        for (int i = 0; i < volumes.size(); i++) {
            Volume v = volumes.get(i);
            String name = "#" + i + ":" + (v.mount() == null ? "" : v.mount());
            switch (v) {
                case Volume.Immutable im -> out.add(fileLine("EXECUTION_VOLUME_INMUTABLE", name, im.ref(), p, fileBytesOfRef));
                case Volume.Ephemeral e -> out.add(mibLine("EXECUTION_VOLUME_PERSISTENT", name, e.sizeMib(), p));
                case Volume.Persistent s -> out.add(mibLine("EXECUTION_VOLUME_PERSISTENT", name, s.sizeMib(), p));
            }
        }
        return out;
    }

    private static Cost.Line mibLine(String type, String name, Integer sizeMib, Pricing.Product p) {
        BigDecimal mib = BigDecimal.valueOf(sizeMib == null ? 0 : sizeMib);
        return new Cost.Line(type, name, mib.multiply(p.storageHoldingPerMib()), mib);
    }

    private static Cost.Line fileLine(String type, String name, String ref, Pricing.Product p, ToLongFunction<String> bytesOf) {
        long bytes = ref == null ? 0 : Math.max(0, bytesOf.applyAsLong(ref));
        BigDecimal mib = BigDecimal.valueOf(bytes).divide(MIB, MathContext.DECIMAL64);
        return new Cost.Line(type, name, mib.multiply(p.storageHoldingPerMib()), mib);
    }
}
