package org.aleph4j.message;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

/**
 * The JSON dialect of aleph messages: compact output byte-compatible with Python's
 * {@code json.dumps(..., separators=(",", ":"))} (non-ASCII escaped as lowercase {@code \\uXXXX},
 * floats written as Python's {@code repr}), nulls omitted, unknown properties ignored on input,
 * and numbers in free-form JSON kept with their original text.
 */
public final class Json {
    /** Shared, thread-safe mapper for message JSON. */
    public static final ObjectMapper MAPPER = create();

    private Json() {}

    private static ObjectMapper create() {
        SimpleModule python = new SimpleModule("python-floats");
        python.addSerializer(Double.class, new PythonDoubleSerializer());
        python.addSerializer(double.class, new PythonDoubleSerializer());
        python.addSerializer(DoubleNode.class, new StdSerializer<>(DoubleNode.class) {
            @Override
            public void serialize(DoubleNode value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                if (gen instanceof TokenBuffer) gen.writeNumber(value.doubleValue());
                else gen.writeRawValue(pythonRepr(value.doubleValue()));
            }
        });
        ObjectMapper mapper = JsonMapper.builder()
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .addModule(python)
                .build();
        mapper.getFactory().setCharacterEscapes(new PythonEscapes());
        return mapper;
    }

    /** Serializes a value compactly in the aleph dialect. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses JSON text into a tree; throws {@link MessageException} (code 0) on malformed input. */
    public static JsonNode parseTree(String text) throws MessageException {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) throw new MessageException(ErrorCode.INVALID_FORMAT, "empty JSON");
            return node;
        } catch (IOException e) {
            throw new MessageException(ErrorCode.INVALID_FORMAT, "malformed JSON: " + firstLine(e.getMessage()));
        }
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Python's {@code repr(float)}: shortest round-trip digits, fixed notation for decimal
     * exponents in [-4, 16), scientific otherwise, and ".0" on integral values.
     */
    public static String pythonRepr(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        String sign = (d < 0 || (d == 0 && 1 / d < 0)) ? "-" : "";
        if (d == 0) return sign + "0.0";
        // Double.toString gives the shortest digits that round-trip (JDK 19+), as Python's repr does.
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int exp = digits.length() - 1 - bd.scale();
        if (exp >= -4 && exp < 16) {
            String plain = bd.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + String.format("%02d", Math.abs(exp));
    }

    private static final class PythonDoubleSerializer extends StdSerializer<Double> {
        PythonDoubleSerializer() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            // Trees (valueToTree) keep a real number; text output gets Python's spelling.
            if (gen instanceof TokenBuffer) gen.writeNumber(value);
            else gen.writeRawValue(pythonRepr(value));
        }
    }

    /** Escapes as Python's json module does with ensure_ascii: lowercase hex, \\uXXXX per UTF-16 unit. */
    private static final class PythonEscapes extends CharacterEscapes {
        private final int[] ascii;

        PythonEscapes() {
            ascii = standardAsciiEscapesForJSON();
            for (int c = 0; c < 0x20; c++) {
                if (ascii[c] == ESCAPE_STANDARD && c != '\b' && c != '\f' && c != '\n' && c != '\r' && c != '\t') {
                    ascii[c] = ESCAPE_CUSTOM;
                }
            }
            // Python's ensure_ascii escapes everything outside ' '..'~', DEL included.
            ascii[0x7f] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch < 0x20 || ch > 0x7e) {
                if (ch > 0xffff) {
                    int v = ch - 0x10000;
                    return new SerializedString(String.format("\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff)));
                }
                return new SerializedString(String.format("\\u%04x", ch));
            }
            return null;
        }
    }
}
