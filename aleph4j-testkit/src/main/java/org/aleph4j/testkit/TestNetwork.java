package org.aleph4j.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.ProgramBuilder;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.ItemHashes;
import org.aleph4j.message.ItemType;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.ForgetContent;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.StoreContent;
import org.aleph4j.message.runtime.DefaultRuntime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A real {@link CcnNode} on 127.0.0.1 for end-to-end tests: an oracle key owned by the test funds
 * accounts through signed {@code balances-update} POSTs (as upstream's oracles do), the default
 * runtime is published, and helpers publish code, programs and forgets as a user would.
 *
 * <pre>{@code
 * try (TestNetwork net = TestNetwork.builder(dir).fundedUser(10_000_000).start()) {
 *     String code = net.store(net.user(), SamplePrograms.binaryZip("v1"), null);
 *     String program = net.program(net.zipProgram(code, "run.sh").memory(256));
 * }
 * }</pre>
 *
 * Every publishing helper posts synchronously and fails the test with the CCN's answer unless the
 * message was processed.
 */
public final class TestNetwork implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final EthAccount oracle = newAccount();
    private final EthAccount user = newAccount();
    private final EthAccount pricingOwner;
    private final CcnNode ccn;
    private final CcnClient client;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestNetwork(Builder b) throws Exception {
        pricingOwner = b.pricingOwner ? newAccount() : null;
        CcnConfig config = CcnConfig.defaults(b.dir.resolve("ccn")).withPort(0)
                .withOracleAddresses(Set.of(oracle.address().toLowerCase(), oracle.address()));
        if (pricingOwner != null) config = config.withPricingOwner(pricingOwner.address());
        ccn = new CcnNode(config).start();
        client = new CcnClient(ccn.url());
        try {
            byte[] runtime = DefaultRuntime.descriptor();
            UploadResult r = client.uploadFile(new ByteArrayInputStream(runtime), runtime.length, "runtime.json",
                    DefaultRuntime.storeMessage(), true, null);
            if (r.httpStatus() >= 300) throw new AssertionError("the default runtime was not stored: " + r.body());
            if (b.userBalance != null) fund(user.address(), b.userBalance);
        } catch (Exception | AssertionError e) {
            close();
            throw e;
        }
    }

    /** A network whose CCN keeps its data under {@code dir/ccn}; {@code dir} belongs to the test. */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** What the network starts with. */
    public static final class Builder {
        private final Path dir;
        private Long userBalance;
        private boolean pricingOwner;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** Funds {@link #user()} with {@code balance} tokens once the CCN runs; without it the user has none. */
        public Builder fundedUser(long balance) {
            this.userBalance = balance;
            return this;
        }

        /**
         * Makes a key of the test the owner of the CCN's {@code pricing} aggregate, so that
         * {@link #setPersistentProgramPrice} can change prices; without it upstream's owner is kept.
         */
        public Builder pricingOwner() {
            this.pricingOwner = true;
            return this;
        }

        /** Starts the CCN, publishes the default runtime and funds the user. */
        public TestNetwork start() throws Exception {
            return new TestNetwork(this);
        }
    }

    // ---------------------------------------------------------------- the network

    /** The account that owns the test's code and programs. */
    public EthAccount user() {
        return user;
    }

    /** The CCN's root URL. */
    public URI ccnUrl() {
        return ccn.url();
    }

    /** A client of the CCN, closed with the network. */
    public CcnClient client() {
        return client;
    }

    /** A plain HTTP client (5 s to connect) for calling the nodes under test. */
    public HttpClient http() {
        return http;
    }

    /** A fresh random key. */
    public static EthAccount newAccount() {
        return EthAccount.generate(RANDOM);
    }

    /** Now, in seconds since the epoch, as message times are written. */
    public static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    // ---------------------------------------------------------------- balances and prices

    /** Sets {@code address}'s balance through a signed balances-update POST and checks the CCN reports it. */
    public void fund(String address, long amount) throws Exception {
        fund(address, BigDecimal.valueOf(amount));
    }

    /** As {@link #fund(String, long)} with a fractional amount (e.g. {@code 35219.07552081426}). */
    public void fund(String address, BigDecimal amount) throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("chain", "ETH");
        body.put("main_height", System.currentTimeMillis());
        body.putObject("balances").put(address, amount);
        publish(oracle, MessageType.POST, new PostContent(oracle.address(), now(), body, "balances-update", null),
                "ALEPH_BALANCES");
        BigDecimal balance = client.balance(address).balance();
        if (balance.compareTo(amount) != 0) {
            throw new AssertionError("the CCN reports a balance of " + balance + " for " + address + ", expected " + amount);
        }
    }

    /**
     * Sets the hold price per compute unit of persistent programs through the {@code pricing}
     * aggregate the CCN reads; needs {@link Builder#pricingOwner()}.
     */
    public void setPersistentProgramPrice(long perComputeUnit) throws Exception {
        if (pricingOwner == null) throw new IllegalStateException("start the network with pricingOwner() to set prices");
        ObjectNode pricing = Json.MAPPER.createObjectNode();
        pricing.putObject("program_persistent").putObject("price").putObject("compute_unit").put("holding", perComputeUnit);
        publish(pricingOwner, MessageType.AGGREGATE, new AggregateContent(pricingOwner.address(), now(),
                Json.MAPPER.getNodeFactory().textNode("pricing"), pricing), MessageBuilder.DEFAULT_CHANNEL);
    }

    // ---------------------------------------------------------------- publishing

    /** Signs {@code content} as {@code signer}, posts it and returns its item hash; fails unless it was processed. */
    public String publish(EthAccount signer, MessageType type, Content content) throws Exception {
        return publish(signer, type, content, MessageBuilder.DEFAULT_CHANNEL);
    }

    private String publish(EthAccount signer, MessageType type, Content content, String channel) throws Exception {
        AlephMessage m = MessageBuilder.build(signer, type, content, channel, now());
        PostResult r = client.post(m, true);
        if (!r.processed()) {
            throw new AssertionError(type + " by " + signer.address() + " was not processed (HTTP " + r.httpStatus()
                    + "): " + r.body());
        }
        return m.itemHash();
    }

    /** Uploads {@code bytes} with a STORE by {@code owner} (amending {@code ref} unless null); returns the STORE's item hash. */
    public String store(EthAccount owner, byte[] bytes, String ref) throws Exception {
        StoreContent content = new StoreContent(owner.address(), now(), ItemType.STORAGE, ItemHashes.sha256Hex(bytes),
                (long) bytes.length, null, ref, null, null);
        AlephMessage m = MessageBuilder.build(owner, MessageType.STORE, content, null, now());
        UploadResult r = client.uploadFile(new ByteArrayInputStream(bytes), bytes.length, "code.zip", m, true, null);
        if (r.httpStatus() >= 300) throw new AssertionError("upload failed (HTTP " + r.httpStatus() + "): " + r.body());
        return m.itemHash();
    }

    /** Uploads a zip of {@code files} (name to text) as the user's; returns the STORE's item hash. */
    public String storeZip(Map<String, String> files) throws Exception {
        return store(user, zip(files), null);
    }

    /**
     * A builder for a program the user owns, running {@code entrypoint} from the STORE {@code codeRef}:
     * 1 vCPU, updatable, otherwise {@link ProgramBuilder}'s defaults. Post it with {@link #program(ProgramBuilder)}.
     */
    public ProgramBuilder programBuilder(String codeRef, String entrypoint, Encoding encoding) {
        return new ProgramBuilder(user.address(), codeRef, entrypoint, encoding).vcpus(1).updatable(true);
    }

    /** {@link #programBuilder} for zipped code. */
    public ProgramBuilder zipProgram(String codeRef, String entrypoint) {
        return programBuilder(codeRef, entrypoint, Encoding.ZIP);
    }

    /**
     * {@code content} with its code pinned to {@code code.ref} ({@code code.use_latest} false), which
     * {@link ProgramBuilder} never writes: amends of the code STORE are then not followed.
     */
    public static ProgramContent pinCode(ProgramContent content) {
        CodeContent c = content.code();
        return new ProgramContent(content.address(), content.time(), content.allowAmend(), content.metadata(),
                content.authorizedKeys(), content.variables(), content.environment(), content.resources(), content.payment(),
                content.requirements(), content.volumes(), content.replaces(), content.type(),
                new CodeContent(c.encoding(), c.entrypoint(), c.ref(), c.iface(), c.args(), false), content.runtime(),
                content.data(), content.export(), content.on());
    }

    /** Posts the user's PROGRAM built by {@code program} (its time set to now); returns its item hash. */
    public String program(ProgramBuilder program) throws Exception {
        return program(user, program.time(now()).build());
    }

    /** Posts a PROGRAM signed by {@code owner}; returns its item hash. */
    public String program(EthAccount owner, ProgramContent content) throws Exception {
        return publish(owner, MessageType.PROGRAM, content);
    }

    /** Forgets the message {@code hash} with a FORGET signed by {@code owner}. */
    public void forget(EthAccount owner, String hash) throws Exception {
        publish(owner, MessageType.FORGET, new ForgetContent(owner.address(), now(), List.of(hash), null, "test"));
    }

    // ---------------------------------------------------------------- reading

    /** How many messages {@code address} sent, whatever their status. */
    public long messagesFrom(String address) throws Exception {
        JsonNode page = client.messagesJson(MessageQuery.builder().addresses(address)
                .msgStatuses("pending", "processed", "rejected", "forgotten", "removing", "removed").pagination(0).build());
        return page.path("messages").size();
    }

    /** GETs {@code uri} with a 60 s bound. */
    public HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The body of {@code response} as JSON. */
    public static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body());
    }

    /** A zip archive of {@code files}, name to UTF-8 text. */
    public static byte[] zip(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (var e : files.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    /**
     * Host pids of every process running program {@code hash}, with any executor (sandboxed or not),
     * found by the {@code ALEPH4J_ITEM_HASH} in their environment.
     */
    public static List<Long> programProcesses(String hash) {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("\\d+"))) {
            for (Path p : ds) {
                try {
                    String env = new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.ISO_8859_1);
                    if (env.contains("ALEPH4J_ITEM_HASH=" + hash + "\0")) pids.add(Long.parseLong(p.getFileName().toString()));
                } catch (IOException | RuntimeException ignored) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    @Override
    public void close() {
        http.shutdownNow();
        client.close();
        ccn.close();
    }
}
