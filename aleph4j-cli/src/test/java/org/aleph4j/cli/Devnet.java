package org.aleph4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.MessageQuery;
import org.aleph4j.client.PostResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.AggregateContent;
import org.aleph4j.message.content.PostContent;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A real CCN with an oracle key owned by the test, plus helpers to run the CLI in-process against it. */
final class Devnet implements AutoCloseable {
    final EthAccount oracle = EthAccount.generate(new SecureRandom());
    final EthAccount pricingOwner = EthAccount.generate(new SecureRandom());
    final CcnNode node;
    final CcnClient ccn;

    Devnet(Path dataDir) {
        node = new CcnNode(CcnConfig.defaults(dataDir).withOracleAddresses(Set.of(oracle.address().toLowerCase(), oracle.address()))
                .withPricingOwner(pricingOwner.address())).start();
        ccn = new CcnClient(node.url());
    }

    /** Sets {@code address}'s balance through a signed balances-update POST, as upstream's oracles do. */
    void fund(String address, long amount) throws Exception {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("chain", "ETH");
        body.put("main_height", 1);
        body.putObject("balances").put(address, amount);
        double now = System.currentTimeMillis() / 1000.0;
        AlephMessage m = MessageBuilder.build(oracle, MessageType.POST,
                new PostContent(oracle.address(), now, body, "balances-update", null), "ALEPH_BALANCES", now);
        PostResult r = ccn.post(m, true);
        assertThat(r.messageStatus()).isEqualTo("processed");
        assertThat(ccn.balance(address).balance()).isEqualByComparingTo(java.math.BigDecimal.valueOf(amount));
    }

    /** Sets the hold price per compute unit of persistent programs through the {@code pricing} aggregate the CCN reads. */
    void setPersistentProgramPrice(long perComputeUnit) throws Exception {
        ObjectNode pricing = Json.MAPPER.createObjectNode();
        pricing.putObject("program_persistent").putObject("price").putObject("compute_unit").put("holding", perComputeUnit);
        double now = System.currentTimeMillis() / 1000.0;
        AlephMessage m = MessageBuilder.build(pricingOwner, MessageType.AGGREGATE,
                new AggregateContent(pricingOwner.address(), now, Json.MAPPER.getNodeFactory().textNode("pricing"), pricing),
                "ALEPH-CLOUDSOLUTIONS", now);
        assertThat(ccn.post(m, true).messageStatus()).isEqualTo("processed");
    }

    /** Every message sent by {@code address}, whatever its status. */
    long messagesFrom(String address) throws Exception {
        JsonNode page = ccn.messagesJson(MessageQuery.builder().addresses(address)
                .msgStatuses("pending", "processed", "rejected", "forgotten", "removing", "removed").pagination(0).build());
        return page.path("messages").size();
    }

    @Override
    public void close() {
        ccn.close();
        node.close();
    }

    /** Result of one in-process CLI run. */
    record Run(int code, String out, String err) {}

    static Run run(Map<String, String> env, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = AlephCli.run(args, o, e, env);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** An environment for the CLI: its own config home, this CCN, and a PATH with or without mksquashfs. */
    Map<String, String> env(Path home, boolean withMksquashfs) {
        Map<String, String> env = new HashMap<>();
        env.put("ALEPH_HOME", home.toString());
        env.put("ALEPH_CCN_URL", node.url().toString());
        env.put("PATH", withMksquashfs ? System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/bin:/usr/sbin:/sbin" : home.resolve("no-bin").toString());
        env.put("HOME", home.toString());
        return env;
    }
}
