package org.aleph4j.bench.message;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.JavaSignatureVerifier;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.NativeSignatureVerifier;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.content.PostContent;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * Signature verification (EIP-191 hash, public-key recovery, address comparison) with the native
 * libsecp256k1 and the pure-Java verifier, and full validation of a submitted inline envelope
 * (JSON tree to envelope, item_hash, content schema, signature). One thread, ops/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
public class SignatureBenchmark {
    private AlephMessage message;
    private JsonNode envelope;
    private final SignatureVerifier nativeVerifier = new NativeSignatureVerifier();
    private final SignatureVerifier javaVerifier = new JavaSignatureVerifier();
    private MessageValidator nativeValidator;

    @Setup
    public void sign() throws MessageException {
        if (!NativeSignatureVerifier.available()) throw new IllegalStateException("libsecp256k1 did not load");
        EthAccount account = EthAccount.generate(new SecureRandom());
        PostContent content = new PostContent(account.address(), 1_700_000_000.123,
                Json.parseTree("{\"title\":\"benchmark\",\"body\":\"a typical small post\",\"n\":42}"), "test", null);
        message = MessageBuilder.build(account, MessageType.POST, content, "BENCH", 1_700_000_000.5);
        envelope = message.forSubmission().toJson();
        nativeValidator = new MessageValidator(nativeVerifier);
        if (!nativeVerifier.verify(message) || !javaVerifier.verify(message)) throw new IllegalStateException("setup signature invalid");
    }

    @Benchmark
    public boolean verifyNative() {
        return nativeVerifier.verify(message);
    }

    @Benchmark
    public boolean verifyPureJava() {
        return javaVerifier.verify(message);
    }

    @Benchmark
    public Object validateEnvelopeNative() throws MessageException {
        return nativeValidator.validate(envelope);
    }
}
