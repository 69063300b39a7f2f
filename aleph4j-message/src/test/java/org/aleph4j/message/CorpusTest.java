package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.aleph4j.message.content.Content;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every message of the shared upstream corpus (corpus/messages_index.tsv) either validates, or is
 * rejected for the reason the MANIFEST gives. Unlisted messages must validate fully.
 */
class CorpusTest {
    private final MessageValidator validator = new MessageValidator(SignatureVerifier.best());

    /** What we expect of one corpus message when it is not simply valid. */
    sealed interface Expect {}

    /** Rejected at parse/shape time with error 0 and a message containing {@code reason}. */
    record Invalid(String reason) implements Expect {}

    /** item_content was edited in this copy (MANIFEST "PARTIAL"): error 0, yet the signature itself still verifies. */
    record HashMismatch() implements Expect {}

    /** A chain whose signatures are not EVM: envelope and content parse, verification says "not supported". */
    record NonEvm() implements Expect {}

    /** Well-formed but signed by someone else (template signature, placeholder sender): error 1. */
    record BadSignature() implements Expect {}

    /** An API view without item_content (forgotten/skeleton): submission shape is refused; the signature verifies or not. */
    record ApiView(boolean verifies) implements Expect {}

    private static final String X = "extracted_from_test_code/";
    private static final String FAKE = "fake-hash";

    static final Map<String, Expect> EXPECT = new HashMap<>();

    static {
        nonEvm("aleph-im+aleph-sdk-python/tests/unit/messages.json#$[0]", "aleph-im+aleph-rs/fixtures/messages/post/post-sol.json#$",
                X + "aleph-im+aleph-sdk-python/tests__unit__conftest.messages.json#[1].message",
                X + "aleph-im+pyaleph/tests__api__test_p2p.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__chains__test_avalanche.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__chains__test_common.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__chains__test_nuls2.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__chains__test_solana.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__chains__test_substrate.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__chains__test_substrate.messages.json#[1].message",
                X + "aleph-im+pyaleph/tests__chains__test_tezos.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__chains__test_tezos.messages.json#[1].message",
                X + "aleph-im+pyaleph/tests__chains__test_tezos.messages.json#[2].message",
                X + "aleph-im+pyaleph/tests__schemas__test_pending_messages.messages.json#[2].message",
                X + "aleph-im+pyaleph/tests__storage__test_get_content.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__test_network.messages.json#[0].message",
                X + "aleph-im+pyaleph/tests__test_network.messages.json#[2].message",
                X + "aleph-im+pyaleph/tests__test_network.messages.json#[3].message",
                X + "aleph-im+pyaleph/tests__test_network.messages.json#[4].message");
        for (String f : List.of("confidential_instance_message_from_aleph", "instance_message_from_aleph", "message_from_aleph",
                "message_from_aleph_docker_runtime", "program_message_from_aleph", "qemu_message_from_aleph")) {
            EXPECT.put("aleph-im+aleph-vm/examples/" + f + ".json#$", new Invalid(FAKE)); // MANIFEST: fake item_hash
        }
        EXPECT.put("aleph-im+aleph-vm/tests/supervisor/fixtures/vprogram_message.json#$", new Invalid("unknown message type: V-PROGRAM"));
        EXPECT.put("aleph-im+aleph-message/aleph_message/tests/messages/confidential_machine.json#$",
                new Invalid("unknown message type: CONFIDENTIAL"));
        for (String f : List.of("forget", "instance_confidential_machine", "instance_gpu_machine", "instance_machine", "machine",
                "machine_named")) {
            EXPECT.put("aleph-im+aleph-message/aleph_message/tests/messages/" + f + ".json#$", new Invalid("field required: item_hash"));
        }
        EXPECT.put("aleph-im+pyaleph/tests/web/controllers/fixtures/messages/program.json#$[0]", new Invalid("field required: item_hash"));
        EXPECT.put("aleph-im+pyaleph/tests/message_processing/fixtures/test-data-forgotten-messages.json#$[1]", new HashMismatch());
        EXPECT.put("aleph-im+pyaleph/tests/api/fixtures/fixture_aggregates.json#$[2]", new HashMismatch());
        EXPECT.put(X + "aleph-im+aleph-client/tests__unit__conftest.messages.json#[0].message", new HashMismatch());
        // Synthetic website fixture: item_hash aaaa… does not hash its content (and signature 0xdeadbeef).
        EXPECT.put("aleph-im+aleph-rs/fixtures/websites/store_message.json#$.message", new Invalid("item_hash does not match item_content"));
        EXPECT.put("aleph-im+aleph-message/aleph_message/tests/messages/forgotten.json#$", new ApiView(false));
        EXPECT.put("aleph-im+aleph-rs/fixtures/api-responses/forgotten-message.json#$.message", new ApiView(true));
        EXPECT.put(X + "aleph-im+aleph-vm/tests__supervisor__test_execution.messages.json#[0].message", new ApiView(true));
        // pyaleph's test_cosmos re-serialises item_content before use; as written it is an object.
        EXPECT.put(X + "aleph-im+pyaleph/tests__chains__test_cosmos.messages.json#[0].message", new Invalid("item_content must be a string"));
        String pending = X + "aleph-im+pyaleph/tests__schemas__test_pending_messages.messages.json#";
        EXPECT.put(pending + "[8].message", new Invalid("unknown item_type: STORAGE"));   // test_invalid_item_type
        EXPECT.put(pending + "[9].message", new Invalid("unknown chain: MEGA_CHAIN"));    // test_invalid_chain
        EXPECT.put(pending + "[10].message", new Invalid("deadbeef"));                   // test_invalid_hash
        EXPECT.put(pending + "[11].message", new Invalid("time must be between"));       // test_invalid_time_field
        EXPECT.put(X + "aleph-im+pyaleph/tests__test_network.messages.json#[1].message", new Invalid("unknown chain: BAR"));
        EXPECT.put(X + "aleph-im+pyaleph/tests__storage__test_store_message.messages.json#[1].message", new BadSignature()); // sender 0xdeadbeef
    }

    private static void nonEvm(String... ids) {
        for (String id : ids) EXPECT.put(id, new NonEvm());
    }

    @Test
    void theIndexListsEveryMessageOfTheManifestAndEveryExpectationNamesARealEntry() {
        List<Corpus.Entry> entries = Corpus.entries();
        assertThat(entries).hasSize(113);
        Set<String> ids = new LinkedHashSet<>();
        entries.forEach(e -> ids.add(e.id()));
        assertThat(ids).containsAll(EXPECT.keySet());
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusMessageParsesOrIsRejectedForTheManifestsReason() {
        return Corpus.entries().stream().map(e -> DynamicTest.dynamicTest(e.toString(), () -> check(e)));
    }

    private void check(Corpus.Entry e) throws Exception {
        Expect expect = EXPECT.get(e.id());
        JsonNode json = e.message();
        switch (expect) {
            case null -> {
                MessageValidator.Validated v = validator.validate(json);
                if (v.message().itemType() == ItemType.INLINE) assertThat(v.content()).isNotNull();
                // Non-inline API views carry the fetched content: it must parse too.
                if (v.content() == null && json.path("content").isObject()) Contents.parse(v.message().type(), json.get("content"));
                assertThat(new JavaSignatureVerifier().verify(v.message())).as("pure Java agrees").isTrue();
            }
            case Invalid i -> {
                MessageException ex = catchThrowableOfType(MessageException.class, () -> validator.validate(json));
                assertThat(ex).as("rejected").isNotNull();
                assertThat(ex.code()).isEqualTo(ErrorCode.INVALID_FORMAT);
                assertThat(ex.getMessage()).contains(i.reason());
            }
            case HashMismatch h -> {
                MessageException ex = catchThrowableOfType(MessageException.class, () -> validator.validate(json));
                assertThat(ex.code()).isEqualTo(ErrorCode.INVALID_FORMAT);
                assertThat(ex.getMessage()).contains("item_hash does not match item_content");
                assertThat(ex.details()).containsKeys("item_hash", "computed");
                // The content is not signed: the signature of the untouched fields still verifies.
                assertThat(SignatureVerifier.best().verify(MessageValidator.parseEnvelope(json))).isTrue();
            }
            case NonEvm n -> {
                // Upstream verifies these chains with their own schemes, which aleph4j does not implement (yet):
                // the envelope and content parse, and verification reports INVALID_SIGNATURE "not supported".
                AlephMessage m = MessageValidator.parseEnvelope(json);
                assertThat(m.chain().isEvm()).isFalse();
                if (m.itemType() == ItemType.INLINE) MessageValidator.checkInline(m);
                else if (json.path("content").isObject()) Contents.parse(m.type(), json.get("content"));
                MessageException ex = catchThrowableOfType(MessageException.class, () -> validator.checkSignature(m));
                assertThat(ex.code()).isEqualTo(ErrorCode.INVALID_SIGNATURE);
                assertThat(ex.getMessage()).contains("not supported");
            }
            case BadSignature b -> {
                MessageException ex = catchThrowableOfType(MessageException.class, () -> validator.validate(json));
                assertThat(ex.code()).isEqualTo(ErrorCode.INVALID_SIGNATURE);
                assertThat(ex.getMessage()).contains("does not match sender");
            }
            case ApiView a -> {
                assertThatThrownBy(() -> MessageValidator.parseEnvelope(json)).isInstanceOf(MessageException.class)
                        .hasMessageContaining("item_content is required");
                AlephMessage m = MessageValidator.readApiMessage(json);
                assertThat(SignatureVerifier.best().verify(m)).isEqualTo(a.verifies());
                if (json.path("content").isObject() && json.path("content").has("time")) Contents.parse(m.type(), json.get("content"));
            }
        }
    }

    /**
     * Why canonical(parse(item_content)) may differ from a sample's bytes. Each difference found
     * must be explained by one of these, per sample, or the test fails.
     */
    static List<String> explainDifference(JsonNode in, JsonNode out, String inText) {
        List<String> why = new ArrayList<>();
        List<String> inKeys = new ArrayList<>();
        in.fieldNames().forEachRemaining(inKeys::add);
        List<String> outKeys = new ArrayList<>();
        out.fieldNames().forEachRemaining(outKeys::add);
        List<String> dropped = inKeys.stream().filter(k -> !out.has(k)).toList();
        List<String> added = outKeys.stream().filter(k -> !in.has(k)).toList();
        if (!dropped.isEmpty()) why.add("extra keys upstream's model ignores are dropped: " + dropped);
        if (!added.isEmpty()) why.add("defaults absent from the sample are filled in (older model or non-Python SDK): " + added);
        List<String> common = inKeys.stream().filter(out::has).toList();
        if (!common.equals(outKeys.stream().filter(in::has).toList())) {
            why.add("top-level key order of another SDK (TypeScript/Rust): " + inKeys);
        }
        if (in.path("time").isIntegralNumber()) why.add("integral time written as an integer (non-Python SDK)");
        if (inText.chars().anyMatch(c -> c > 0x7e)) why.add("non-ASCII characters not escaped (non-Python SDK)");
        for (String k : common) {
            if (in.get(k).isContainerNode() && !in.get(k).toString().equals(out.get(k).toString())
                    && in.get(k).equals(out.get(k))) {
                why.add("nested key order of an older upstream model in '" + k + "'");
            } else if (in.get(k).isContainerNode() && !in.get(k).equals(out.get(k))) {
                why.add("nested defaults filled in under '" + k + "'");
            }
        }
        return why;
    }

    @TestFactory
    Stream<DynamicTest> inlineContentsRoundTripToUpstreamBytesOrTheTestSaysWhyNot() {
        return Corpus.entries().stream()
                .filter(e -> e.message().path("item_content").isTextual() && "True".equals(e.shaVerdict()))
                .filter(e -> MessageType.parse(e.type()) != null)
                .map(e -> DynamicTest.dynamicTest(e.toString(), () -> {
                    String ic = e.message().get("item_content").asText();
                    Content parsed = Contents.parse(MessageType.parse(e.type()), ic);
                    String again = Contents.canonical(parsed);
                    // Semantic equality always: parsing the canonical form gives the same content.
                    assertThat(Contents.parse(MessageType.parse(e.type()), again)).isEqualTo(parsed);
                    JsonNode in = Json.parseTree(ic);
                    JsonNode out = Json.parseTree(again);
                    in.fieldNames().forEachRemaining(k -> {
                        if (out.has(k) && !in.get(k).isContainerNode()) assertThat(sameScalar(in.get(k), out.get(k))).as(k).isTrue();
                    });
                    if (again.equals(ic)) {
                        System.out.println("byte-identical: " + e);
                        return;
                    }
                    List<String> why = explainDifference(in, out, ic);
                    System.out.println("differs: " + e + " because " + why);
                    assertThat(why).as("unexplained difference\n in: %s\nout: %s", ic, again).isNotEmpty();
                }));
    }

    /** Python-SDK samples the brief names: these must be byte-identical. */
    @Test
    void pythonSdkProgramAndInstanceSamplesAreByteIdentical() throws Exception {
        for (String id : List.of("aleph-im+aleph-message/aleph_message/tests/messages/instance_content.json#$",
                "aleph-im+aleph-rs/fixtures/messages/instance/instance-gpu-payg.json#$",
                X + "aleph-im+pyaleph/tests__chains__test_evm.messages.json#[0].message")) {
            Corpus.Entry e = Corpus.entries().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
            String ic = e.message().get("item_content").asText();
            assertThat(Contents.canonical(Contents.parse(MessageType.parse(e.type()), ic))).as(id).isEqualTo(ic);
        }
    }

    private static boolean sameScalar(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        return a.equals(b);
    }

}
