package org.aleph4j.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import org.aleph4j.client.LogsGrant.InvalidGrantException;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.junit.jupiter.api.Test;

class LogsGrantTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final SignatureVerifier VERIFIER = SignatureVerifier.best();
    private static final Instant NOW = Instant.parse("2026-12-01T22:00:00Z");
    private static final InstantSource CLOCK = InstantSource.fixed(NOW);
    private final EthAccount owner = EthAccount.generate(RANDOM);
    private final String hash = ItemHashes.sha256Hex("program");

    private String grant(Duration ahead) {
        return LogsGrant.create(owner, hash, NOW.plus(ahead)).encode();
    }

    @Test
    void aGrantRoundTripsAndVerifiesToItsSigner() {
        String encoded = grant(Duration.ofMinutes(15));
        assertThat(encoded).matches("[A-Za-z0-9_-]+").hasSizeLessThan(LogsGrant.MAX_ENCODED_LENGTH);

        LogsGrant g = LogsGrant.verify(encoded, hash, CLOCK, VERIFIER);
        assertThat(g.itemHash()).isEqualTo(hash);
        assertThat(g.address()).isEqualTo(owner.address());
        assertThat(g.expiresAt()).isEqualTo(NOW.plus(Duration.ofMinutes(15)));
        assertThat(g.signedBy(owner.address().toLowerCase())).isTrue();
        assertThat(g.signedBy(EthAccount.generate(RANDOM).address())).isFalse();
        assertThat(LogsGrant.decode(encoded)).isEqualTo(g);
    }

    @Test
    void theEncodedFormIsTheContractsJsonAndTheSignatureIsOverTheContractsText() throws Exception {
        String encoded = grant(Duration.ofMinutes(1));
        var json = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(encoded));
        assertThat(json.path("item_hash").asText()).isEqualTo(hash);
        assertThat(json.path("address").asText()).isEqualTo(owner.address());
        assertThat(json.path("expires").isIntegralNumber()).isTrue();
        long expires = json.path("expires").asLong();
        assertThat(expires).isEqualTo(NOW.getEpochSecond() + 60);
        String text = "aleph4j logs grant\nitem_hash: " + hash + "\naddress: " + owner.address() + "\nexpires: " + expires;
        assertThat(VERIFIER.verify(text, json.path("signature").asText(), owner.address())).isTrue();
    }

    @Test
    void anExpiredGrantIsRefused() {
        String encoded = grant(Duration.ofMinutes(15));
        InstantSource later = InstantSource.fixed(NOW.plus(Duration.ofMinutes(15)));
        assertThatThrownBy(() -> LogsGrant.verify(encoded, hash, later, VERIFIER))
                .isInstanceOf(InvalidGrantException.class).hasMessageContaining("expired");
        // one second before, it still holds
        assertThat(LogsGrant.verify(encoded, hash, InstantSource.fixed(NOW.plus(Duration.ofSeconds(899))), VERIFIER)).isNotNull();
    }

    @Test
    void aGrantMoreThanAnHourAheadIsRefused() {
        assertThat(LogsGrant.verify(grant(Duration.ofHours(1)), hash, CLOCK, VERIFIER)).isNotNull();
        assertThatThrownBy(() -> LogsGrant.verify(grant(Duration.ofHours(1).plusSeconds(1)), hash, CLOCK, VERIFIER))
                .isInstanceOf(InvalidGrantException.class).hasMessageContaining("60 minutes ahead");
    }

    @Test
    void aGrantForAnotherProgramIsRefused() {
        assertThatThrownBy(() -> LogsGrant.verify(grant(Duration.ofMinutes(5)), ItemHashes.sha256Hex("other"), CLOCK, VERIFIER))
                .isInstanceOf(InvalidGrantException.class).hasMessageContaining("another program");
    }

    @Test
    void tamperedFieldsBreakTheSignature() {
        LogsGrant g = LogsGrant.create(owner, hash, NOW.plus(Duration.ofMinutes(5)));
        String otherHash = ItemHashes.sha256Hex("other");
        EthAccount other = EthAccount.generate(RANDOM);
        for (LogsGrant tampered : new LogsGrant[]{
                new LogsGrant(otherHash, g.address(), g.expires(), g.signature()),
                new LogsGrant(g.itemHash(), other.address(), g.expires(), g.signature()),
                new LogsGrant(g.itemHash(), g.address(), g.expires() + 60, g.signature()),
                new LogsGrant(g.itemHash(), g.address(), g.expires(), flipLastHexDigitOfR(g.signature()))}) {
            assertThatThrownBy(() -> LogsGrant.verify(tampered.encode(), tampered.itemHash(), CLOCK, VERIFIER))
                    .as("%s", tampered).isInstanceOf(InvalidGrantException.class).hasMessageContaining("not signed by");
        }
    }

    @Test
    void anotherKeysSignatureUnderTheOwnersAddressIsRefused() {
        EthAccount mallory = EthAccount.generate(RANDOM);
        long expires = NOW.getEpochSecond() + 300;
        String sig = mallory.signEip191(LogsGrant.signedText(hash, owner.address(), expires));
        String forged = new LogsGrant(hash, owner.address(), expires, sig).encode();
        assertThatThrownBy(() -> LogsGrant.verify(forged, hash, CLOCK, VERIFIER))
                .isInstanceOf(InvalidGrantException.class).hasMessageContaining("not signed by " + owner.address());
        // Mallory's own grant verifies as Mallory's, which the CRN's owner check then refuses
        String own = LogsGrant.create(mallory, hash, NOW.plusSeconds(300)).encode();
        assertThat(LogsGrant.verify(own, hash, CLOCK, VERIFIER).signedBy(owner.address())).isFalse();
    }

    @Test
    void garbageIsRefusedWithAReason() {
        String huge = "A".repeat(LogsGrant.MAX_ENCODED_LENGTH + 1);
        assertThatThrownBy(() -> LogsGrant.decode(huge)).isInstanceOf(InvalidGrantException.class).hasMessageContaining("longer than");
        assertThatThrownBy(() -> LogsGrant.decode(null)).isInstanceOf(InvalidGrantException.class).hasMessageContaining("Missing");
        assertThatThrownBy(() -> LogsGrant.decode("")).isInstanceOf(InvalidGrantException.class).hasMessageContaining("Missing");
        assertThatThrownBy(() -> LogsGrant.decode("not base64!")).isInstanceOf(InvalidGrantException.class).hasMessageContaining("base64url");
        assertThatThrownBy(() -> LogsGrant.decode("A")).isInstanceOf(InvalidGrantException.class).hasMessageContaining("base64url");
        for (String json : new String[]{"not json", "[1,2]", "\"text\"", "{", "{}", "null"}) {
            assertThatThrownBy(() -> LogsGrant.decode(b64(json))).as(json).isInstanceOf(InvalidGrantException.class);
        }
        ObjectNode valid = (ObjectNode) Json.MAPPER.valueToTree(java.util.Map.of(
                "item_hash", hash, "address", owner.address(), "expires", NOW.getEpochSecond() + 60,
                "signature", LogsGrant.create(owner, hash, NOW.plusSeconds(60)).signature()));
        assertThat(LogsGrant.decode(b64(Json.write(valid))).itemHash()).isEqualTo(hash);
        assertRefused(valid.deepCopy().put("extra", 1), "unknown field");
        assertRefused(valid.deepCopy().put("item_hash", "zz"), "item_hash");
        assertRefused(valid.deepCopy().put("item_hash", 5), "item_hash");
        assertRefused(valid.deepCopy().put("address", "0x12"), "address");
        assertRefused(valid.deepCopy().put("expires", "soon"), "expires");
        assertRefused(valid.deepCopy().put("expires", 1.5), "expires");
        assertRefused(valid.deepCopy().put("expires", new java.math.BigInteger("99999999999999999999999")), "expires");
        assertRefused(valid.deepCopy().put("signature", "0x1234"), "signature");
        ObjectNode missing = valid.deepCopy();
        missing.remove("signature");
        assertRefused(missing, "signature");
        // a grant of exactly the limit is decoded (and refused only for what it is)
        String padded = b64(Json.write(valid.deepCopy().put("extra", "x".repeat(1200))));
        assertThat(padded.length()).isLessThanOrEqualTo(LogsGrant.MAX_ENCODED_LENGTH);
        assertThatThrownBy(() -> LogsGrant.decode(padded)).hasMessageContaining("unknown field");
    }

    private static void assertRefused(ObjectNode json, String reason) {
        assertThatThrownBy(() -> LogsGrant.decode(b64(Json.write(json)))).as(json.toString())
                .isInstanceOf(InvalidGrantException.class).hasMessageContaining(reason);
    }

    private static String b64(String s) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String flipLastHexDigitOfR(String sig) {
        char[] c = sig.toCharArray();
        int i = 2 + 63; // last hex digit of r
        c[i] = c[i] == '0' ? '1' : '0';
        return new String(c);
    }
}
