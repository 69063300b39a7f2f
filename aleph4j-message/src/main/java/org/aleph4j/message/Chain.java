package org.aleph4j.message;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.EnumSet;
import java.util.Set;

/** Chains a message may name, as upstream lists them (reference §1.1). */
public enum Chain {
    ARB, AURORA, AVAX, BASE, BLAST, BOB, BSC, CSDK, CYBER, DOT, ES, ETH, ETHERLINK, FRAX, HYPE, INK,
    LENS, LINEA, LISK, METIS, MODE, NEO, NULS, NULS2, OP, POL, SOL, STT, SONIC, TEZOS, UNICHAIN,
    WLD, ZORA;

    /** Chains whose signatures are EIP-191 personal_sign signatures verified by address recovery. */
    private static final Set<Chain> EVM = EnumSet.of(ETH, ARB, BASE, BLAST, BOB, BSC, CYBER, FRAX, HYPE,
            INK, LENS, METIS, MODE, NEO, OP, POL, LINEA, LISK, SONIC, UNICHAIN, WLD, ZORA, ETHERLINK);

    public boolean isEvm() {
        return EVM.contains(this);
    }

    @JsonValue
    public String value() {
        return name();
    }

    /** Parses a chain name; returns null for unknown names so callers can report error code 0. */
    @JsonCreator
    public static Chain parse(String name) {
        if (name == null) return null;
        try {
            return valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
