package org.aleph4j.ccn;

import static org.aleph4j.ccn.CcnHarness.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.Contents;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.runtime.UpstreamRuntimes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The list and storage views upstream's clients read (posts v0/v1, aggregates.json, an address's files, base64 and
 * metadata of files, ipfs/add_file, tags and excludeContent on messages.json) and PROGRAMs on upstream's runtimes,
 * over real HTTP with signed messages; once per storage backend.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UpstreamViewsContractTest {
    static final SecureRandom RANDOM = new SecureRandom();
    static final long BASE64_LIMIT = 64 * 1024;
    final EthAccount oracle = EthAccount.generate(RANDOM);
    String jdbcUrl;
    CcnNode node;

    abstract Backend backend();

    @BeforeAll
    void startNode(@TempDir Path tmp) throws Exception {
        jdbcUrl = backend().createUrl();
        node = new CcnNode(config(tmp, jdbcUrl, oracle).withLimits(CcnLimits.defaults().withMaxBase64FileBytes(BASE64_LIMIT))).start();
    }

    @AfterAll
    void stopNode() throws Exception {
        if (node != null) node.close();
        Backend.drop(jdbcUrl);
    }

    URI url() {
        return node.url();
    }

    static AlephMessage postAt(EthAccount a, String type, String body, String ref, double time) throws Exception {
        return MessageBuilder.build(a, MessageType.POST, new PostContent(a.address(), time, Json.MAPPER.readTree(body), type,
                ref == null ? null : Json.MAPPER.getNodeFactory().textNode(ref)), "TEST", time);
    }

    static void processed(Resp r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("message_status").asText()).as(r.body()).isEqualTo("processed");
    }

    /** The error shape of every 4xx: {error, error_code, details}. */
    static void refused(Resp r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.json()).as(r.body()).isNotNull();
        assertThat(r.json().path("error").isTextual()).as(r.body()).isTrue();
        assertThat(r.json().path("error_code").isInt()).as(r.body()).isTrue();
        assertThat(r.json().path("details").isObject()).as(r.body()).isTrue();
    }

    static List<String> field(JsonNode arr, String name) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.path(name).asText()));
        return out;
    }

    @Test
    void postsListsMergeTheLatestAmendInBothShapesAndFilterAsUpstream() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        double t = now() - 100;
        AlephMessage blog = postAt(a, "blog", "{\"title\":\"v1\",\"tags\":[\"red\"]}", null, t);
        AlephMessage note = postAt(a, "note", "{\"text\":\"n\",\"tags\":[\"blue\"]}", "topic-1", t + 1);
        processed(post(url(), blog, true));
        processed(post(url(), note, true));
        AlephMessage amend1 = postAt(a, "amend", "{\"title\":\"v2\"}", blog.itemHash(), t + 2);
        AlephMessage amend2 = postAt(a, "amend", "{\"title\":\"v3\",\"tags\":[\"green\"]}", blog.itemHash(), t + 3);
        processed(post(url(), amend2, true));
        processed(post(url(), amend1, true));
        // an amend by someone else is not the owner's latest version
        EthAccount other = EthAccount.generate(RANDOM);
        post(url(), postAt(other, "amend", "{\"title\":\"hijack\"}", blog.itemHash(), t + 4), true);

        Resp v1 = get(url(), "/api/v1/posts.json?addresses=" + a.address());
        assertThat(v1.status()).as(v1.body()).isEqualTo(200);
        assertThat(v1.json().path("pagination_total").asLong()).isEqualTo(2);
        assertThat(v1.json().path("pagination_item").asText()).isEqualTo("posts");
        JsonNode posts = v1.json().path("posts");
        // newest last update first: the blog post (amended at t+3) before the note (t+1)
        assertThat(field(posts, "original_item_hash")).containsExactly(blog.itemHash(), note.itemHash());
        JsonNode merged = posts.get(0);
        assertThat(merged.path("item_hash").asText()).isEqualTo(amend2.itemHash());
        assertThat(merged.path("content").path("title").asText()).isEqualTo("v3");
        assertThat(merged.path("original_type").asText()).isEqualTo("blog");
        assertThat(merged.path("address").asText()).isEqualTo(a.address());
        assertThat(merged.path("channel").asText()).isEqualTo("TEST");
        assertThat(merged.path("created").asText()).endsWith("+00:00");
        assertThat(merged.path("last_updated").asText()).isNotEqualTo(merged.path("created").asText());
        assertThat(posts.get(1).path("ref").asText()).isEqualTo("topic-1");

        Resp v0 = get(url(), "/api/v0/posts.json?addresses=" + a.address());
        assertThat(v0.status()).as(v0.body()).isEqualTo(200);
        JsonNode legacy = v0.json().path("posts").get(0);
        assertThat(legacy.path("item_hash").asText()).isEqualTo(amend2.itemHash());
        assertThat(legacy.path("hash").asText()).isEqualTo(blog.itemHash());
        assertThat(legacy.path("original_item_hash").asText()).isEqualTo(blog.itemHash());
        assertThat(legacy.path("sender").asText()).isEqualTo(a.address());
        assertThat(legacy.path("type").asText()).isEqualTo("amend");
        assertThat(legacy.path("original_type").asText()).isEqualTo("blog");
        assertThat(legacy.path("content").path("title").asText()).isEqualTo("v3");
        assertThat(legacy.path("item_content").asText()).isEqualTo(amend2.itemContent());
        assertThat(legacy.path("signature").asText()).isEqualTo(amend2.signature());
        assertThat(legacy.path("original_signature").asText()).isEqualTo(blog.signature());
        assertThat(legacy.path("chain").asText()).isEqualTo("ETH");
        assertThat(legacy.path("confirmed").asBoolean(true)).isFalse();
        assertThat(legacy.path("time").asDouble()).isEqualTo(t + 3);

        String mine = "addresses=" + a.address();
        assertThat(field(get(url(), "/api/v1/posts.json?" + mine + "&types=note").json().path("posts"), "original_item_hash"))
                .containsExactly(note.itemHash());
        assertThat(field(get(url(), "/api/v1/posts.json?hashes=" + blog.itemHash()).json().path("posts"), "item_hash"))
                .containsExactly(amend2.itemHash());
        assertThat(field(get(url(), "/api/v1/posts.json?refs=topic-1").json().path("posts"), "original_item_hash"))
                .containsExactly(note.itemHash());
        // tags of the latest version: the blog post's amend says green, no longer red
        assertThat(field(get(url(), "/api/v1/posts.json?" + mine + "&tags=green,blue").json().path("posts"), "original_item_hash"))
                .containsExactly(blog.itemHash(), note.itemHash());
        assertThat(get(url(), "/api/v1/posts.json?" + mine + "&tags=red").json().path("posts")).isEmpty();
        assertThat(field(get(url(), "/api/v1/posts.json?" + mine + "&channels=TEST&sortOrder=1").json().path("posts"), "original_item_hash"))
                .containsExactly(note.itemHash(), blog.itemHash());
        assertThat(field(get(url(), "/api/v1/posts.json?" + mine + "&startDate=" + (t + 2.5)).json().path("posts"), "original_item_hash"))
                .containsExactly(blog.itemHash());
        assertThat(field(get(url(), "/api/v1/posts.json?" + mine + "&endDate=" + (t + 2.5)).json().path("posts"), "original_item_hash"))
                .containsExactly(note.itemHash());
        Resp second = get(url(), "/api/v0/posts/page/2.json?" + mine + "&pagination=1");
        assertThat(field(second.json().path("posts"), "original_item_hash")).containsExactly(note.itemHash());
        assertThat(second.json().path("pagination_page").asInt()).isEqualTo(2);
        assertThat(second.json().path("pagination_per_page").asInt()).isEqualTo(1);
        assertThat(get(url(), "/api/v1/posts/page/2.json?" + mine + "&pagination=1").json().path("posts").get(0)
                .path("original_item_hash").asText()).isEqualTo(note.itemHash());

        refused(get(url(), "/api/v1/posts.json?page=0"), 422);
        refused(get(url(), "/api/v0/posts.json?pagination=-1"), 422);
        refused(get(url(), "/api/v0/posts/page/zero.json"), 422);
        refused(get(url(), "/api/v1/posts.json?sortOrder=2"), 422);
        refused(get(url(), "/api/v1/posts.json?sortBy=size"), 422);
        refused(get(url(), "/api/v1/posts.json?addresses=0x123"), 422);
        refused(get(url(), "/api/v1/posts.json?hashes=nothash"), 422);
        refused(get(url(), "/api/v1/posts.json?startDate=10&endDate=5"), 422);
        refused(get(url(), "/api/v1/posts.json?startDate=yesterday"), 422);
    }

    @Test
    void aggregatesJsonListsEveryMergedAggregateWithFiltersAndPages() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        EthAccount b = EthAccount.generate(RANDOM);
        processed(post(url(), aggregate(a, "profile", "{\"name\":\"a\"}"), true));
        processed(post(url(), aggregate(a, "profile", "{\"age\":3}"), true));
        processed(post(url(), aggregate(a, "settings", "{\"dark\":true}"), true));
        processed(post(url(), aggregate(b, "profile", "{\"name\":\"b\"}"), true));

        Resp both = get(url(), "/api/v0/aggregates.json?addresses=" + a.address() + "," + b.address());
        assertThat(both.status()).as(both.body()).isEqualTo(200);
        assertThat(both.json().path("pagination_total").asLong()).isEqualTo(3);
        assertThat(both.json().path("pagination_item").asText()).isEqualTo("aggregates");
        assertThat(both.json().path("pagination_per_page").asInt()).isEqualTo(20);
        // newest update first
        assertThat(both.json().path("aggregates").get(0).path("address").asText()).isEqualTo(b.address());
        Resp profiles = get(url(), "/api/v0/aggregates.json?keys=profile&addresses=" + a.address());
        JsonNode profile = profiles.json().path("aggregates").get(0);
        assertThat(profiles.json().path("aggregates")).hasSize(1);
        assertThat(profile.path("key").asText()).isEqualTo("profile");
        assertThat(profile.path("content").path("name").asText()).isEqualTo("a");
        assertThat(profile.path("content").path("age").asInt()).isEqualTo(3);
        assertThat(profile.path("created").asText()).endsWith("+00:00");
        assertThat(profile.path("last_updated").asText()).endsWith("+00:00");
        Resp page2 = get(url(), "/api/v0/aggregates?addresses=" + a.address() + "&pagination=1&page=2&sortBy=creation_time&sortOrder=1");
        assertThat(page2.json().path("aggregates")).hasSize(1);
        assertThat(page2.json().path("aggregates").get(0).path("key").asText()).isEqualTo("settings");
        assertThat(page2.json().path("pagination_total").asLong()).isEqualTo(2);
        // the per-address view is unchanged
        Resp one = get(url(), "/api/v0/aggregates/" + a.address() + ".json?keys=settings");
        assertThat(one.json().path("data").path("settings").path("dark").asBoolean()).isTrue();

        refused(get(url(), "/api/v0/aggregates.json?pagination=501"), 422);
        refused(get(url(), "/api/v0/aggregates.json?pagination=0"), 422);
        refused(get(url(), "/api/v0/aggregates.json?page=-1"), 422);
        refused(get(url(), "/api/v0/aggregates.json?sortBy=name"), 422);
        refused(get(url(), "/api/v0/aggregates.json?addresses=not-an-address"), 422);
    }

    @Test
    void addressFilesListsWhatAnAddressStoresWithSizesTotalsAndPages() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        byte[] small = "small file".getBytes(StandardCharsets.UTF_8);
        byte[] big = new byte[3000];
        RANDOM.nextBytes(big);
        AlephMessage s1 = MessageBuilder.build(a, MessageType.STORE, new StoreContent(a.address(), now() - 10, ItemType.STORAGE,
                ItemHashes.sha256Hex(small), null, null, null, null, null), "TEST", now() - 10);
        AlephMessage s2 = store(a, big, null);
        processed(upload(url(), s1, small, true));
        processed(upload(url(), s2, big, true));

        Resp r = get(url(), "/api/v0/addresses/" + a.address() + "/files");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("address").asText()).isEqualTo(a.address());
        assertThat(r.json().path("total_size").asLong()).isEqualTo(small.length + big.length);
        assertThat(r.json().path("pagination_total").asLong()).isEqualTo(2);
        assertThat(r.json().path("pagination_per_page").asInt()).isEqualTo(100);
        JsonNode files = r.json().path("files");
        assertThat(field(files, "item_hash")).containsExactly(s2.itemHash(), s1.itemHash());
        assertThat(files.get(0).path("file_hash").asText()).isEqualTo(ItemHashes.sha256Hex(big));
        assertThat(files.get(0).path("size").asLong()).isEqualTo(big.length);
        assertThat(files.get(0).path("type").asText()).isEqualTo("file");
        assertThat(files.get(0).path("created").asText()).endsWith("+00:00");
        assertThat(field(get(url(), "/api/v0/addresses/" + a.address() + "/files?sort_order=1&pagination=1").json().path("files"), "item_hash"))
                .containsExactly(s1.itemHash());
        Resp p2 = get(url(), "/api/v0/addresses/" + a.address() + "/files?pagination=1&page=2");
        assertThat(field(p2.json().path("files"), "item_hash")).containsExactly(s1.itemHash());
        assertThat(p2.json().path("total_size").asLong()).isEqualTo(small.length + big.length);
        assertThat(field(get(url(), "/api/v0/addresses/" + a.address() + "/files?file_hash=" + ItemHashes.sha256Hex(small))
                .json().path("files"), "item_hash")).containsExactly(s1.itemHash());

        refused(get(url(), "/api/v0/addresses/" + EthAccount.generate(RANDOM).address() + "/files"), 404);
        refused(get(url(), "/api/v0/addresses/0x1234/files"), 422);
        refused(get(url(), "/api/v0/addresses/bad%20address/files"), 422);
        refused(get(url(), "/api/v0/addresses/" + a.address() + "/files?page=0"), 422);
        refused(get(url(), "/api/v0/addresses/" + a.address() + "/files?pagination=x"), 422);
        refused(get(url(), "/api/v0/addresses/" + a.address() + "/files?sort_order=0"), 422);
        refused(get(url(), "/api/v0/addresses/" + a.address() + "/files?file_hash=zz"), 422);
    }

    @Test
    void storageServesBase64ContentAndMetadataWithinItsBound() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        byte[] bytes = new byte[5000];
        RANDOM.nextBytes(bytes);
        AlephMessage s = store(a, bytes, null);
        processed(upload(url(), s, bytes, true));
        String hash = ItemHashes.sha256Hex(bytes);

        Resp r = get(url(), "/api/v0/storage/" + hash);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("status").asText()).isEqualTo("success");
        assertThat(r.json().path("hash").asText()).isEqualTo(hash);
        assertThat(r.json().path("engine").asText()).isEqualTo("storage");
        String content = r.json().path("content").asText();
        // Python's base64.encodebytes: 76-character lines, each ended by a newline
        assertThat(content.split("\n")[0]).hasSize(76);
        assertThat(content).endsWith("\n");
        assertThat(Base64.getMimeDecoder().decode(content)).isEqualTo(bytes);

        Resp meta = get(url(), "/api/v0/storage/metadata/" + hash);
        assertThat(meta.status()).as(meta.body()).isEqualTo(200);
        assertThat(meta.json().path("file_hash").asText()).isEqualTo(hash);
        assertThat(meta.json().path("size").asLong()).isEqualTo(bytes.length);
        assertThat(meta.json().path("type").asText()).isEqualTo("file");
        assertThat(meta.json().path("download_url").asText()).isEqualTo("/api/v0/storage/raw/" + hash);
        Resp byMessage = get(url(), "/api/v0/storage/by-message-hash/" + s.itemHash());
        assertThat(byMessage.status()).as(byMessage.body()).isEqualTo(200);
        assertThat(byMessage.json().path("file_hash").asText()).isEqualTo(hash);
        assertThat(byMessage.json().path("ref").asText()).isEqualTo(s.itemHash());
        assertThat(byMessage.json().path("owner").asText()).isEqualTo(a.address());
        assertThat(byMessage.json().path("size").asLong()).isEqualTo(bytes.length);
        Resp byRef = get(url(), "/api/v0/storage/by-ref/" + s.itemHash());
        assertThat(byRef.json().path("file_hash").asText()).as(byRef.body()).isEqualTo(hash);

        byte[] large = new byte[(int) BASE64_LIMIT + 1];
        RANDOM.nextBytes(large);
        processed(upload(url(), store(a, large, null), large, true));
        Resp tooLarge = get(url(), "/api/v0/storage/" + ItemHashes.sha256Hex(large));
        refused(tooLarge, 413);
        assertThat(tooLarge.json().path("details").path("max_size").asLong()).isEqualTo(BASE64_LIMIT);
        assertThat(tooLarge.json().path("details").path("actual_size").asLong()).isEqualTo(large.length);
        // raw downloads have no such bound
        assertThat(get(url(), "/api/v0/storage/raw/" + ItemHashes.sha256Hex(large)).status()).isEqualTo(200);

        String unknown = "ab".repeat(32);
        refused(get(url(), "/api/v0/storage/" + unknown), 404);
        refused(get(url(), "/api/v0/storage/metadata/" + unknown), 404);
        refused(get(url(), "/api/v0/storage/by-message-hash/" + unknown), 404);
        refused(get(url(), "/api/v0/storage/by-ref/" + unknown), 404);
        refused(get(url(), "/api/v0/storage/not-a-hash"), 400);
        refused(get(url(), "/api/v0/storage/metadata/not-a-hash"), 400);
        refused(get(url(), "/api/v0/storage/by-message-hash/not-a-hash"), 400);
        refused(get(url(), "/api/v0/storage/by-ref/free-ref"), 400);
        refused(get(url(), "/api/v0/storage/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"), 404);
    }

    @Test
    void messagesJsonFiltersByTagsAndLeavesContentOutOnRequest() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        String tag = "t-" + UUID.randomUUID();
        AlephMessage tagged = post(a, "note", "{\"tags\":[\"" + tag + "\",\"common\"],\"x\":1}");
        AlephMessage other = post(a, "note", "{\"tags\":[\"else\"],\"x\":2}");
        processed(post(url(), tagged, true));
        processed(post(url(), other, true));
        AlephMessage taggedStore = sign(a, MessageType.STORE, Contents.parse(MessageType.STORE, "{\"address\":\"" + a.address()
                + "\",\"time\":" + now() + ",\"item_type\":\"storage\",\"item_hash\":\"" + ItemHashes.sha256Hex(new byte[] {7})
                + "\",\"tags\":[\"" + tag + "\"]}"));
        processed(upload(url(), taggedStore, new byte[] {7}, true));

        Resp byTag = get(url(), "/api/v0/messages.json?tags=" + tag);
        assertThat(byTag.status()).as(byTag.body()).isEqualTo(200);
        assertThat(field(byTag.json().path("messages"), "item_hash")).containsExactlyInAnyOrder(tagged.itemHash());
        assertThat(field(get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&tags=" + tag + ",else").json().path("messages"), "item_hash"))
                .containsExactlyInAnyOrder(tagged.itemHash(), other.itemHash());

        Resp bare = get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&excludeContent=true");
        assertThat(bare.json().path("messages")).hasSize(3);
        bare.json().path("messages").forEach(m -> {
            assertThat(m.has("content")).isFalse();
            assertThat(m.path("item_hash").isTextual()).isTrue();
        });
        assertThat(get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&contentFormat=none").json().path("messages").get(0)
                .has("content")).isFalse();
        assertThat(get(url(), "/api/v0/messages.json?addresses=" + a.address() + "&excludeContent=false").json().path("messages").get(0)
                .has("content")).isTrue();
        refused(get(url(), "/api/v0/messages.json?excludeContent=perhaps"), 422);
        refused(get(url(), "/api/v0/messages.json?contentFormat=headers"), 422);
        refused(get(url(), "/api/v0/messages.json?contentFormat=all"), 422);
    }

    static Resp multipart(URI base, String path, String metadataJson, byte[] file, String filename) throws Exception {
        String boundary = "b-" + UUID.randomUUID();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (metadataJson != null) {
            out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n" + metadataJson + "\r\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(file);
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())).build());
    }

    @Test
    void ipfsAddFileStoresBySha256AndAStoreOfItemTypeIpfsNamingItIsProcessed() throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        byte[] code = new byte[20_000];
        RANDOM.nextBytes(code);
        String sha = ItemHashes.sha256Hex(code);
        // upstream's SDK: upload first, then sign a STORE with item_type ipfs and the hash it was given
        Resp added = multipart(url(), "/api/v0/ipfs/add_file", null, code, "code.zip");
        assertThat(added.status()).as(added.body()).isEqualTo(200);
        assertThat(added.json().path("status").asText()).isEqualTo("success");
        assertThat(added.json().path("hash").asText()).isEqualTo(sha);
        assertThat(added.json().path("name").asText()).isEqualTo("code.zip");
        assertThat(added.json().path("size").asLong()).isEqualTo(code.length);
        AlephMessage ipfsStore = MessageBuilder.build(a, MessageType.STORE, new StoreContent(a.address(), now(), ItemType.IPFS, sha,
                null, null, null, null, null), "TEST", now());
        processed(post(url(), ipfsStore, true));
        Resp message = get(url(), "/api/v0/messages/" + ipfsStore.itemHash());
        assertThat(message.json().path("message").path("content").path("item_type").asText()).isEqualTo("ipfs");
        assertThat(message.json().path("message").path("size").asLong()).isEqualTo(code.length);
        assertThat(get(url(), "/api/v0/storage/raw/" + sha).body().length()).isPositive();
        assertThat(field(get(url(), "/api/v0/addresses/" + a.address() + "/files").json().path("files"), "file_hash")).containsExactly(sha);

        // with the signed STORE in the same request (upstream's newer form)
        byte[] more = new byte[3000];
        RANDOM.nextBytes(more);
        AlephMessage inOne = MessageBuilder.build(a, MessageType.STORE, new StoreContent(a.address(), now(), ItemType.IPFS,
                ItemHashes.sha256Hex(more), null, null, null, null, null), "TEST", now());
        String meta = Json.write(Map.of("message", inOne.forSubmission().toJson(), "sync", true));
        Resp both = multipart(url(), "/api/v0/ipfs/add_file", meta, more, "more.bin");
        assertThat(both.status()).as(both.body()).isEqualTo(200);
        assertThat(both.json().path("hash").asText()).isEqualTo(ItemHashes.sha256Hex(more));
        assertThat(both.json().path("message_status").asText()).isEqualTo("processed");
        // a STORE naming another file than the one sent is refused as on storage/add_file
        AlephMessage wrong = MessageBuilder.build(a, MessageType.STORE, new StoreContent(a.address(), now(), ItemType.IPFS,
                sha, null, null, null, null, null), "TEST", now() + 1);
        Resp mismatch = multipart(url(), "/api/v0/ipfs/add_file", Json.write(Map.of("message", wrong.forSubmission().toJson())), more, "x");
        refused(mismatch, 422);
        refused(multipart(url(), "/api/v0/ipfs/add_file", "{not json", more, "x"), 422);
    }

    static AlephMessage programOnRuntime(EthAccount a, String codeRef, String runtimeRef) throws Exception {
        double time = now();
        String json = "{\"address\":\"" + a.address() + "\",\"time\":" + time + ",\"allow_amend\":false"
                + ",\"metadata\":{\"name\":\"" + UUID.randomUUID() + "\"}"
                + ",\"environment\":{},\"resources\":{\"vcpus\":1,\"memory\":128,\"seconds\":30},"
                + "\"payment\":{\"chain\":\"ETH\",\"type\":\"hold\"},\"volumes\":[],"
                + "\"type\":\"vm-function\",\"code\":{\"encoding\":\"zip\",\"entrypoint\":\"main:app\",\"ref\":\"" + codeRef
                + "\",\"use_latest\":true},\"runtime\":{\"ref\":\"" + runtimeRef + "\",\"use_latest\":true,\"comment\":\"\"},"
                + "\"on\":{\"http\":true,\"persistent\":false}}";
        return MessageBuilder.build(a, MessageType.PROGRAM, Contents.parse(MessageType.PROGRAM, json), "TEST", time);
    }

    @Test
    void programsOnUpstreamRuntimesAreAcceptedWithoutTheirStoreAndCostNothingForIt(@TempDir Path other) throws Exception {
        EthAccount a = EthAccount.generate(RANDOM);
        processed(post(url(), balances(oracle, Map.of(a.address(), 10_000)), true));
        byte[] code = "zip bytes".getBytes(StandardCharsets.UTF_8);
        AlephMessage codeStore = store(a, code, null);
        processed(upload(url(), codeStore, code, true));
        String upstreamRuntime = UpstreamRuntimes.upstreamDefault().ref();
        AlephMessage program = programOnRuntime(a, codeStore.itemHash(), upstreamRuntime);
        processed(post(url(), program, true));
        Resp price = get(url(), "/api/v0/price/" + program.itemHash());
        assertThat(price.status()).as(price.body()).isEqualTo(200);
        JsonNode runtimeLine = null;
        for (JsonNode line : price.json().path("detail")) if (line.path("type").asText().endsWith("RUNTIME")) runtimeLine = line;
        assertThat(runtimeLine).as(price.body()).isNotNull();
        assertThat(runtimeLine.path("cost_hold").asDouble()).isZero();

        // any other runtime still needs its STORE: the program waits for it (301)
        AlephMessage unknownRuntime = programOnRuntime(a, codeStore.itemHash(), "cd".repeat(32));
        Resp waiting = post(url(), unknownRuntime, true);
        assertThat(waiting.status()).isEqualTo(202);
        assertThat(get(url(), "/api/v0/messages/" + unknownRuntime.itemHash()).json().path("messages")).hasSize(1);

        // a node configured with no upstream runtimes holds the same program pending
        try (CcnNode strict = new CcnNode(config(other, null, oracle).withUpstreamRuntimeRefs(Set.of())).start()) {
            processed(post(strict.url(), balances(oracle, Map.of(a.address(), 10_000)), true));
            processed(upload(strict.url(), codeStore, code, true));
            assertThat(post(strict.url(), program, true).json().path("message_status").asText()).isEqualTo("pending");
        }
        assertThat(node.config().upstreamRuntimeRefs()).contains(upstreamRuntime)
                .hasSize(UpstreamRuntimes.builtIn().size());
    }
}
