package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.PostContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every message of the upstream corpus (MANIFEST §8, messages_index.tsv) posted to a node. The expected outcome
 * of each is derived from upstream's rules, not stored: envelope and content format (0), signature (1), then
 * permission (2) and dependencies: content or files that are not in the corpus keep a message pending, a FORGET
 * waits for its targets, an amend for the post it amends.
 */
class CorpusTest {
    private static final Pattern STEP = Pattern.compile("\\.([a-z_]+)|\\[(\\d+)]");
    private final MessageValidator validator = new MessageValidator(SignatureVerifier.best());

    static Path corpus() {
        // the repository's copy (testdata/corpus), set by the parent POM
        return Path.of(System.getProperty("aleph4j.corpus", "../testdata/corpus"));
    }

    static JsonNode locate(JsonNode root, String path) {
        String p = path.startsWith("$") ? path.substring(1) : path;
        JsonNode n = root;
        Matcher m = STEP.matcher(p);
        while (m.find()) n = m.group(1) != null ? n.path(m.group(1)) : n.path(Integer.parseInt(m.group(2)));
        if (!p.isEmpty() && p.startsWith("[") && root.isArray() && path.endsWith(".message") && n.isMissingNode()) return n;
        return n;
    }

    record Case(String where, JsonNode json, AlephMessage message, Content content, Integer formatCode) {}

    @Test
    void corpusMessagesGetTheStatusOrErrorUpstreamWouldGive(@TempDir Path dir) throws Exception {
        List<String> lines = Files.readAllLines(corpus().resolve("messages_index.tsv"));
        List<Case> cases = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t", -1);
            JsonNode root = Json.MAPPER.readTree(corpus().resolve(f[0]).toFile());
            JsonNode msg = locate(root, f[1]);
            if (!msg.isObject() || !msg.has("item_hash")) continue; // templates without a hash cannot be posted
            Integer code = null;
            AlephMessage m = null;
            Content c = null;
            try {
                m = MessageValidator.parseEnvelope(msg);
                if (m.itemType() == ItemType.INLINE) c = MessageValidator.checkInline(m);
                validator.checkSignature(m);
            } catch (MessageException e) {
                code = e.code().code();
            }
            cases.add(new Case(f[0] + "#" + f[1], msg, m, c, code));
        }
        assertThat(cases).hasSizeGreaterThan(80);

        EthAccount oracle = EthAccount.generate(new java.security.SecureRandom());
        try (CcnNode node = new CcnNode(config(dir, null, oracle)).start()) {
            Map<String, Case> accepted = new LinkedHashMap<>();
            int refused = 0;
            for (Case k : cases) {
                Resp r = postJson(node.url(), "/api/v0/messages", "{\"sync\":true,\"message\":" + Json.write(k.json()) + "}");
                if (k.formatCode() != null) {
                    assertThat(r.status()).as(k.where() + " " + r.body()).isEqualTo(422);
                    assertThat(r.json().path("error_code").asInt()).as(k.where()).isEqualTo(k.formatCode());
                    refused++;
                } else {
                    assertThat(r.status()).as(k.where() + " " + r.body()).isIn(200, 202, 422);
                    accepted.put(k.message().itemHash(), k);
                }
            }
            Map<String, String> expected = expectations(accepted);
            Map<String, String> actual = new HashMap<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (String h : expected.keySet()) actual.put(h, statusWithCode(node, h));
                return actual.equals(expected);
            });
            assertThat(actual).isEqualTo(expected);
            long processed = expected.values().stream().filter(s -> s.equals("processed")).count();
            System.out.printf("corpus: %d cases, %d refused at intake, %d accepted (%d processed, %s)%n", cases.size(),
                    refused, accepted.size(), processed, expected);
        }
    }

    private static String statusWithCode(CcnNode node, String hash) throws Exception {
        JsonNode j = get(node.url(), "/api/v0/messages/" + hash).json();
        String s = j.path("status").asText();
        return s.equals("rejected") ? "rejected:" + j.path("error_code").asInt() : s;
    }

    /** The final status upstream's rules give each accepted message, given what else the corpus holds. */
    static Map<String, String> expectations(Map<String, Case> accepted) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Case k : accepted.values()) out.put(k.message().itemHash(), base(k, accepted));
        // a processed FORGET hides its targets
        for (Case k : accepted.values()) {
            if (k.content() instanceof ForgetContent fc && "processed".equals(out.get(k.message().itemHash()))) {
                for (String t : fc.hashes()) if ("processed".equals(out.get(t))) out.put(t, "forgotten");
            }
        }
        return out;
    }

    private static String base(Case k, Map<String, Case> accepted) {
        if (k.content() == null) return "pending"; // storage/ipfs content is not in the corpus
        if (!k.message().sender().equalsIgnoreCase(k.content().address())) return "rejected:2";
        return switch (k.content()) {
            case PostContent p when "amend".equals(p.type()) -> {
                Case target = accepted.get(p.refString());
                yield target != null && target.content() != null && "processed".equals(base(target, accepted)) ? "processed" : "pending";
            }
            case ForgetContent f -> {
                for (String t : f.hashes()) {
                    Case target = accepted.get(t);
                    if (target == null) yield "pending";
                    String ts = base(target, accepted);
                    if (!ts.equals("processed")) yield ts.startsWith("rejected") ? "processed" : "pending";
                    if (!target.content().address().equalsIgnoreCase(k.message().sender())
                            && !target.message().sender().equalsIgnoreCase(k.message().sender())) yield "rejected:2";
                }
                yield "processed";
            }
            case org.aleph4j.message.content.StoreContent s -> "pending";     // the files are not in the corpus
            case org.aleph4j.message.content.ProgramContent p -> "pending";   // nor are their code and runtime
            case org.aleph4j.message.content.InstanceContent i -> "pending";  // nor their root filesystems
            default -> "processed";
        };
    }
}
