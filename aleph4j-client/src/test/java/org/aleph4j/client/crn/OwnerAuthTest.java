package org.aleph4j.client.crn;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

class OwnerAuthTest {
    @Test
    void headersCarryAWalletSignedEphemeralKeyAndAnEs256SignedOperation() throws Exception {
        EthAccount owner = EthAccount.generate(new java.security.SecureRandom());
        InstantSource clock = InstantSource.fixed(Instant.parse("2026-01-02T03:04:05Z"));
        OwnerAuth auth = new OwnerAuth(owner, "aleph.localhost", Duration.ofDays(1), clock);

        JsonNode pub = Json.MAPPER.readTree(auth.signedPubKey());
        byte[] payload = HexFormat.of().parseHex(pub.path("payload").asText());
        JsonNode content = Json.MAPPER.readTree(new String(payload, StandardCharsets.UTF_8));
        assertThat(content.path("address").asText()).isEqualTo(owner.address());
        assertThat(content.path("domain").asText()).isEqualTo("aleph.localhost");
        assertThat(content.path("alg").asText()).isEqualTo("ECDSA");
        assertThat(content.path("chain").asText()).isEqualTo("ETH");
        assertThat(Instant.parse(content.path("expires").asText())).isEqualTo(Instant.parse("2026-01-03T03:04:05Z"));
        String recovered = SignatureVerifier.best().recover(Signatures.eip191Hash(payload),
                Signatures.parse(pub.path("signature").asText()));
        assertThat(recovered).isEqualToIgnoringCase(owner.address());

        JsonNode op = Json.MAPPER.readTree(auth.signedOperation("get", "/control/machine/abc/logs"));
        byte[] opPayload = HexFormat.of().parseHex(op.path("payload").asText());
        JsonNode opContent = Json.MAPPER.readTree(new String(opPayload, StandardCharsets.UTF_8));
        assertThat(opContent.path("method").asText()).isEqualTo("GET");
        assertThat(opContent.path("path").asText()).isEqualTo("/control/machine/abc/logs");
        assertThat(opContent.path("domain").asText()).isEqualTo("aleph.localhost");
        assertThat(Instant.parse(opContent.path("time").asText())).isEqualTo(clock.instant());

        Signature es256 = Signature.getInstance("SHA256withECDSAinP1363Format");
        es256.initVerify(publicKey(content.path("pubkey")));
        es256.update(opPayload);
        assertThat(es256.verify(HexFormat.of().parseHex(op.path("signature").asText()))).isTrue();
    }

    private static PublicKey publicKey(JsonNode jwk) throws Exception {
        assertThat(jwk.path("kty").asText()).isEqualTo("EC");
        assertThat(jwk.path("crv").asText()).isEqualTo("P-256");
        Base64.Decoder d = Base64.getUrlDecoder();
        AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
        params.init(new ECGenParameterSpec("secp256r1"));
        ECPoint w = new ECPoint(new BigInteger(1, d.decode(jwk.path("x").asText())), new BigInteger(1, d.decode(jwk.path("y").asText())));
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, params.getParameterSpec(ECParameterSpec.class)));
    }
}
