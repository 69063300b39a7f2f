package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.aleph4j.message.content.PostContent;
import org.web3j.crypto.Sign;

/** Properties of EIP-191 signing and verification over random keys and contents. */
class SigningPropertiesTest {
    private static final BigInteger N = Sign.CURVE_PARAMS.getN();
    private final MessageValidator validator = new MessageValidator(SignatureVerifier.best());

    @Provide
    Arbitrary<EthAccount> accounts() {
        return Arbitraries.bigIntegers().between(BigInteger.ONE, N.subtract(BigInteger.ONE))
                .map(d -> EthAccount.fromPrivateKey(toBytes32(d)));
    }

    @Provide
    Arbitrary<Chain> evmChains() {
        return Arbitraries.of(Chain.values()).filter(Chain::isEvm);
    }

    static byte[] toBytes32(BigInteger d) {
        byte[] raw = d.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(32, raw.length);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }

    @Provide
    Arbitrary<PostContent> contents() {
        Arbitrary<String> text = Arbitraries.strings().all().excludeChars('\u0000').ofMaxLength(40);
        Arbitrary<Double> time = Arbitraries.doubles().between(0, 9_223_372_036.0);
        return Combinators.combine(text, text, time, Arbitraries.integers()).as((type, value, t, n) -> {
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.put("text", value);
            body.put("n", n);
            return new PostContent("0x0000000000000000000000000000000000000000", t, body, type.isEmpty() ? "t" : type, null);
        });
    }

    @Property(tries = 60)
    void aSignedMessageValidatesAndRoundTripsThroughJson(@ForAll("accounts") EthAccount account,
                                                         @ForAll("contents") PostContent content) throws Exception {
        AlephMessage m = MessageBuilder.build(account, MessageType.POST, content, "TEST", content.time());
        String wire = Json.write(m.forSubmission());
        MessageValidator.Validated v = validator.validate(Json.parseTree(wire));
        assertThat(v.content()).isEqualTo(content);
        assertThat(v.message().sender()).isEqualTo(account.address());
        assertThat(new JavaSignatureVerifier().verify(v.message())).isTrue();
    }

    @Property(tries = 40)
    void everyEvmChainVerifiesWithTheSameScheme(@ForAll("accounts") EthAccount account, @ForAll("evmChains") Chain chain) {
        String hash = ItemHashes.sha256Hex(account.address());
        String sig = account.signEip191(Signatures.verificationBuffer(chain, account.address(), MessageType.STORE, hash));
        AlephMessage m = new AlephMessage(chain, account.address(), MessageType.STORE, null, ItemType.STORAGE, null, hash,
                null, 1.0, sig, null, null, null, null, null);
        assertThat(SignatureVerifier.best().verify(m)).isTrue();
    }

    @Property(tries = 40)
    void addressesCompareCaseInsensitively(@ForAll("accounts") EthAccount account) {
        String lower = account.address().toLowerCase();
        String buffer = "ETH\n" + lower + "\nPOST\n" + ItemHashes.sha256Hex(lower);
        String sig = account.signEip191(buffer);
        assertThat(SignatureVerifier.best().verify(buffer, sig, lower)).isTrue();
        assertThat(SignatureVerifier.best().verify(buffer, sig, lower.toUpperCase().replace("0X", "0x"))).isTrue();
    }

    @Property(tries = 80)
    void anySingleCharacterChangeOfTheSignedFieldsBreaksVerification(@ForAll("accounts") EthAccount account,
                                                                    @ForAll @IntRange(min = 0, max = 2) int field,
                                                                    @ForAll @IntRange(min = 0, max = 199) int position,
                                                                    @ForAll @StringLength(1) String replacement) {
        String hash = ItemHashes.sha256Hex(HexFormat.of().formatHex(account.privateKeyBytes()).getBytes(StandardCharsets.UTF_8));
        String[] fields = {account.address(), hash, "POST"};
        String buffer = String.join("\n", "ETH", fields[0], fields[2], fields[1]);
        String sig = account.signEip191(buffer);
        String target = fields[field];
        int at = position % target.length();
        char c = replacement.charAt(0);
        if (c == target.charAt(at)) c = (char) (c + 1);
        String changed = target.substring(0, at) + c + target.substring(at + 1);
        fields[field] = changed;
        String tampered = String.join("\n", "ETH", fields[0], fields[2], fields[1]);
        // The recovered key differs, so the (unchanged or changed) sender never matches...
        String checkedAddress = field == 0 ? changed : account.address();
        boolean verified = SignatureVerifier.best().verify(tampered, sig, checkedAddress);
        // ...except a case-only change of the address outside the signed text, which is no change at all.
        assertThat(verified).isFalse();
    }

    @Property(tries = 80)
    void anySingleCharacterChangeOfTheSignatureBreaksVerification(@ForAll("accounts") EthAccount account,
                                                                 @ForAll @IntRange(min = 2, max = 131) int position,
                                                                 @ForAll @IntRange(min = 1, max = 15) int delta) {
        String buffer = "ETH\n" + account.address() + "\nPOST\n" + ItemHashes.sha256Hex(account.address());
        String sig = account.signEip191(buffer);
        int digit = Character.digit(sig.charAt(position), 16);
        String changed = sig.substring(0, position) + Character.forDigit((digit + delta) % 16, 16) + sig.substring(position + 1);
        assertThat(SignatureVerifier.best().verify(buffer, changed, account.address())).isFalse();
        assertThat(new JavaSignatureVerifier().verify(buffer, changed, account.address())).isFalse();
    }
}
