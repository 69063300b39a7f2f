package org.aleph4j.cli.program;

import org.aleph4j.cli.CliException;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.Price;
import org.aleph4j.message.AlephMessage;

import java.io.PrintStream;
import java.math.BigDecimal;

/**
 * The funds check before a PROGRAM is posted (reference §4.1): the CCN's price estimate
 * ({@code POST /api/v0/price/estimate}) against {@code balance − locked}. Prices and compute units
 * are the CCN's; the CLI keeps no copy of them. A CCN that cannot estimate still checks the balance
 * when the program is posted, so the check is then left to it.
 */
final class FundsCheck {
    private final CcnClient ccn;
    private final PrintStream err;

    FundsCheck(CcnClient ccn, PrintStream err) {
        this.ccn = ccn;
        this.err = err;
    }

    /** Fails with upstream's insufficient-funds error, before anything is uploaded, unless the balance covers {@code program}. */
    void beforeUpload(AlephMessage program, String address) throws CcnException {
        require(estimate(program), address);
    }

    /**
     * The CCN's price of {@code program}, or null (with a note) when it cannot estimate. A content the
     * CCN's validation refuses (422, e.g. resources beyond its limits) fails with the CCN's message.
     */
    Price estimate(AlephMessage program) throws CcnException {
        try {
            return ccn.estimate(program);
        } catch (CcnException e) {
            if (e.isUnreachable()) throw e;
            // 422: the CCN's own validation of the content (e.g. resources out of its limits) — it would reject the post too.
            if (e.httpStatus() == 422) throw invalid(e);
            err.println("Note: the CCN could not estimate the price (" + e.getMessage()
                    + "); it will check the balance when the program is posted.");
            return null;
        }
    }

    /** Fails with the insufficient-funds error unless {@code address} can pay {@code price} (null: left to the CCN). */
    void require(Price price, String address) throws CcnException {
        if (price == null) return;
        BigDecimal required = held(price);
        BigDecimal available = ccn.balance(address).available();
        if (available.compareTo(required) < 0) throw insufficient(address, plain(available), plain(required), ccn.baseUrl().toString());
    }

    /** The CCN's validation error as the error: one line, its message, what to do. */
    static CliException invalid(CcnException e) {
        String error = e.body() == null ? "" : e.body().path("error").asText("");
        String why = (error.isBlank() ? String.valueOf(e.getMessage()) : error).strip().replaceAll("\\s*\\R\\s*", "; ");
        return new CliException("the CCN refuses this program: " + why + " — change the option it names and upload again");
    }

    /**
     * Fails with upstream's insufficient-funds error, before anything is posted, unless the balance
     * covers {@code replacement}. The CCN does not count the replaced program's hold against its
     * replacement, so that hold is available to it.
     */
    void beforeReplacement(AlephMessage replacement, String replacedHash, String address) throws CcnException {
        BigDecimal need;
        BigDecimal oldCost;
        try {
            need = held(ccn.estimate(replacement));
            oldCost = held(ccn.price(replacedHash));
        } catch (CcnException e) {
            if (e.isUnreachable()) throw e;
            return; // No estimate: let the CCN decide.
        }
        BigDecimal available = ccn.balance(address).available().add(oldCost);
        if (available.compareTo(need) < 0) throw insufficient(address, plain(available), plain(need), ccn.baseUrl().toString());
    }

    /**
     * Upstream's insufficient-funds message (reference §4.1) as one line, ending with what funds the
     * address on a devnet (the CLI cannot know a devnet's data directory; the devnet's default is shown).
     */
    static CliException insufficient(String address, String available, String required, String ccnUrl) {
        return CliException.insufficientFunds(address, available, required, ccnUrl);
    }

    /** What a price asks to hold: {@code required_tokens}, or {@code cost} when the CCN gave no required amount. */
    private static BigDecimal held(Price p) {
        return p.requiredTokens().signum() > 0 ? p.requiredTokens() : p.cost();
    }

    private static String plain(BigDecimal d) {
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }
}
