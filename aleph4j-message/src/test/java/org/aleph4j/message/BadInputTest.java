package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.aleph4j.message.content.PostContent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input gives upstream's error code and a readable reason; no other exception escapes. */
class BadInputTest {
    private final MessageValidator validator = new MessageValidator(SignatureVerifier.best());
    private static final EthAccount ACCOUNT = EthAccount.fromHex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    private ObjectNode good;

    @BeforeEach
    void signAGoodMessage() throws Exception {
        PostContent content = new PostContent(ACCOUNT.address(), 1700000000.25, Json.parseTree("{\"hello\":\"world\"}"), "test", null);
        good = (ObjectNode) MessageBuilder.build(ACCOUNT, MessageType.POST, content, "TEST", 1700000000.5).forSubmission().toJson();
        validator.validate(good);
    }

    private MessageException rejected(Object json) {
        Throwable t = catchThrowable(() -> validator.validate(json instanceof String s ? Json.parseTree(s) : (ObjectNode) json));
        assertThat(t).as("a MessageException, nothing else").isInstanceOf(MessageException.class);
        MessageException e = (MessageException) t;
        assertThat(e.getMessage()).isNotBlank();
        return e;
    }

    private ObjectNode with(String field, String json) throws MessageException {
        ObjectNode copy = good.deepCopy();
        if (json == null) copy.remove(field);
        else copy.set(field, Json.parseTree(json));
        return copy;
    }

    @ParameterizedTest(name = "{0} = {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "chain|'\"MEGA_CHAIN\"'|unknown chain",
            "chain|42|chain must be a string",
            "type|'\"VOTE\"'|unknown message type",
            "type||field required: type",
            "sender||field required: sender",
            "sender|[]|sender must be a string",
            "item_hash||field required: item_hash",
            "item_hash|'\"deadbeef\"'|item_hash",
            "item_type|'\"STORAGE\"'|unknown item_type",
            "item_type|'\"storage\"'|item_content is only allowed for inline messages",
            "item_content|'{\"a\":1}'|item_content must be a string",
            "item_content|'\"{not json\"'|item_hash does not match item_content",
            "time||field required: time",
            "time|'\"yesterday\"'|time must be a number of seconds or an ISO-8601 date-time",
            "time|-1|time must be between",
            "time|true|time must be a number",
            "hash_type|'\"md5\"'|hash_type must be sha256",
            "signature||field required: signature",
            "channel|'\"" + "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" + "\"'|channel is longer than 128",
    })
    void malformedEnvelopeFieldsAreInvalidFormat(String field, String json, String reason) throws Exception {
        MessageException e = rejected(with(field, json));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FORMAT);
        assertThat(e.getMessage()).contains(reason);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"0xzz", "baba", "''", "0x1234", "not hex at all"})
    void nonHexOrShortSignaturesAreInvalidSignature(String signature) throws Exception {
        MessageException e = rejected(with("signature", Json.write(signature)));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_SIGNATURE);
    }

    @Test
    void malformedJsonAndNonObjectsAreInvalidFormat() {
        for (String text : new String[] {"{", "", "[1,2]", "\"x\"", "null", "{\"chain\":"}) {
            Throwable t = catchThrowable(() -> validator.validate(Json.parseTree(text)));
            assertThat(t).as(text).isInstanceOf(MessageException.class);
            assertThat(((MessageException) t).code()).isEqualTo(ErrorCode.INVALID_FORMAT);
        }
    }

    /** Content problems: re-sign so only the content is wrong. */
    private MessageException rejectedContent(MessageType type, String content) throws Exception {
        String hash = ItemHashes.sha256Hex(content);
        String sig = ACCOUNT.signEip191(Signatures.verificationBuffer(Chain.ETH, ACCOUNT.address(), type, hash));
        AlephMessage m = new AlephMessage(Chain.ETH, ACCOUNT.address(), type, "TEST", ItemType.INLINE, content, hash, null,
                1.0, sig, null, null, null, null, null);
        return rejected(m.toJson());
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', value = {
            "POST|{\"address\":\"0xA\",\"time\":1}|field required: type",
            "POST|{\"address\":\"0xA\",\"time\":\"1\",\"type\":\"t\"}|time must be a number",
            "POST|{\"address\":\"0xA\",\"type\":\"t\"}|field required: time",
            "POST|{\"address\":\"0xA\",\"time\":1,\"type\":\"amend\"}|an amend post requires ref",
            "POST|{\"address\":7,\"time\":1,\"type\":\"t\"}|address must be a string",
            "AGGREGATE|{\"address\":\"0xA\",\"time\":1,\"key\":\"k\",\"content\":[1]}|content must be an object",
            "STORE|{\"address\":\"0xA\",\"time\":1,\"item_type\":\"storage\",\"item_hash\":\"Qmabc\"}|sha256",
            "STORE|{\"address\":\"0xA\",\"time\":1,\"item_type\":\"inline\",\"item_hash\":\"" + "0000000000000000000000000000000000000000000000000000000000000000" + "\"}|storage or ipfs",
            "FORGET|{\"address\":\"0xA\",\"time\":1,\"hashes\":[\"nope\"]}|not a valid item hash",
            "PROGRAM|{\"address\":\"0xA\",\"time\":1}|field required: allow_amend",
            "PROGRAM|{\"address\":\"0xA\",\"time\":1,\"on\":{\"http\":true,\"cron\":1}}|on.cron: extra fields are not permitted",
            "INSTANCE|{\"address\":\"0xA\",\"time\":1,\"allow_amend\":false,\"environment\":{},\"resources\":{},\"rootfs\":{\"parent\":{\"ref\":\"x\"},\"persistence\":\"host\",\"size_mib\":1}}|rootfs.parent.ref",
    })
    void wrongContentIsInvalidFormat(MessageType type, String content, String reason) throws Exception {
        MessageException e = rejectedContent(type, content);
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FORMAT);
        assertThat(e.getMessage()).contains(reason);
    }

    static final String PROGRAM = """
            {"address":"0xA","time":1.5,"allow_amend":false,"environment":{},"resources":{"vcpus":%s,"memory":128,"seconds":30},
             "volumes":[%s],"type":"vm-function",
             "code":{"encoding":"zip","entrypoint":"main:app","ref":"%s"},
             "runtime":{"ref":"%s","comment":""},"on":{"http":true}}""";

    static String program(String vcpus, String volume) {
        String ref = "a".repeat(64);
        return PROGRAM.formatted(vcpus, volume, ref, ref).replace("\n", "");
    }

    @ParameterizedTest(name = "vcpus={0}, volume={1}: {2}")
    @CsvSource(delimiter = '|', value = {
            "0||vcpus must be between 1 and 256",
            "257||vcpus must be between 1 and 256",
            "1.5||",
            "'\"2\"'||",
            "1|{\"mount\":\"/m\",\"size_mib\":1001}|size_mib must be in 1..1000",
            "1|{\"mount\":\"/m\",\"size_mib\":0}|size_mib must be in 1..1000",
            "1|{\"mount\":\"/m\",\"size_mib\":\"10\"}|",
            "1|{\"mount\":\"/m\",\"ref\":\"" + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" + "\",\"size_mib\":3}|unknown keys [size_mib] in immutable volume",
            "1|{\"mount\":\"/m\",\"name\":\"d\",\"persistence\":\"cloud\",\"size_mib\":3}|persistence must be host or store",
            "1|{\"mount\":\"/m\",\"name\":\"d\",\"persistence\":\"host\",\"size_mib\":1953126}|size_mib must be in 1..1953125",
    })
    void programLimitsAndStrictTypesAreEnforced(String vcpus, String volume, String reason) throws Exception {
        MessageException e = rejectedContent(MessageType.PROGRAM, program(vcpus, volume == null ? "" : volume));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FORMAT);
        if (reason != null) assertThat(e.getMessage()).contains(reason);
    }

    @Test
    void aMinimalProgramIsAcceptedAndDumpsWithDefaultsFilledIn() throws Exception {
        String content = program("1", "{\"mount\":\"/m\",\"size_mib\":5}");
        var parsed = Contents.parse(MessageType.PROGRAM, content);
        assertThat(Contents.canonical(parsed)).isEqualTo("{\"address\":\"0xA\",\"time\":1.5,\"allow_amend\":false,"
                + "\"environment\":{\"reproducible\":false,\"internet\":false,\"aleph_api\":false,\"shared_cache\":false},"
                + "\"resources\":{\"vcpus\":1,\"memory\":128,\"seconds\":30},\"volumes\":[{\"mount\":\"/m\",\"ephemeral\":true,\"size_mib\":5}],"
                + "\"type\":\"vm-function\",\"code\":{\"encoding\":\"zip\",\"entrypoint\":\"main:app\",\"ref\":\"" + "a".repeat(64)
                + "\",\"use_latest\":false},\"runtime\":{\"ref\":\"" + "a".repeat(64) + "\",\"use_latest\":true,\"comment\":\"\"},"
                + "\"on\":{\"http\":true}}");
    }

    @Test
    void oversizedInlineContentIsRejectedAtTheLimitAndTheBuilderRefusesIt() throws Exception {
        String big = "x".repeat(ItemHashes.MAX_INLINE_CHARS);
        MessageException e = rejectedContent(MessageType.POST, "{\"address\":\"0xA\",\"time\":1,\"type\":\"t\",\"content\":\"" + big + "\"}");
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FORMAT);
        assertThat(e.getMessage()).contains("Message too long");
        PostContent huge = new PostContent(ACCOUNT.address(), 1, Json.parseTree(Json.write(big)), "t", null);
        assertThat(catchThrowable(() -> MessageBuilder.build(ACCOUNT, MessageType.POST, huge, null, 1)))
                .isInstanceOf(MessageException.class).hasMessageContaining("limited to 200000");
        // Exactly at the limit is fine.
        String fits = "{\"address\":\"0xA\",\"time\":1,\"type\":\"t\",\"content\":\"\"}";
        String padded = fits.replace("\"content\":\"\"", "\"content\":\"" + "y".repeat(ItemHashes.MAX_INLINE_CHARS - fits.length()) + "\"");
        assertThat(padded).hasSize(ItemHashes.MAX_INLINE_CHARS);
        assertThat(Contents.parse(MessageType.POST, padded)).isNotNull();
    }

    @Test
    void nulCharactersInContentAreRefused() throws Exception {
        MessageException e = rejectedContent(MessageType.POST, "{\"address\":\"0xA\",\"time\":1,\"type\":\"t\",\"content\":\"a\\u0000b\"}");
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FORMAT);
        assertThat(e.getMessage()).contains("NUL");
    }

    @Test
    void nonEvmChainsParseButTheirSignaturesAreNotSupported() throws Exception {
        ObjectNode sol = with("chain", "\"SOL\"");
        MessageException e = rejected(sol);
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_SIGNATURE);
        assertThat(e.getMessage()).contains("not supported");
    }

    @Property(tries = 300)
    void arbitraryJsonTextNeverEscapesAsAnotherException(@ForAll String text) {
        Throwable t = catchThrowable(() -> validator.validate(Json.parseTree(text)));
        assertThat(t).isInstanceOf(MessageException.class);
    }

    @Property(tries = 300)
    void arbitraryItemContentNeverEscapesAsAnotherException(@ForAll String content, @ForAll MessageType type) throws Exception {
        Throwable t = catchThrowable(() -> rejectedContent(type, content));
        assertThat(t).isNull(); // rejectedContent itself asserts a MessageException was raised
    }

    @Test
    void accountsAreGeneratedImportedAndTheirAddressIsEip55() {
        EthAccount a = EthAccount.generate(new SecureRandom());
        assertThat(a.address()).matches("0x[0-9a-fA-F]{40}");
        assertThat(EthAccount.fromPrivateKey(a.privateKeyBytes())).isEqualTo(a);
        // Well-known test vector: this key's EIP-55 address.
        assertThat(ACCOUNT.address()).isEqualTo("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
        assertThat(catchThrowable(() -> EthAccount.fromHex("12"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(catchThrowable(() -> EthAccount.fromPrivateKey(new byte[32]))).isInstanceOf(IllegalArgumentException.class);
    }
}
