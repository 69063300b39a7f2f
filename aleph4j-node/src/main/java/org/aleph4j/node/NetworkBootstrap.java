package org.aleph4j.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.InstantSource;
import java.util.Map;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.CcnException;
import org.aleph4j.client.PostResult;
import org.aleph4j.client.UploadProgress;
import org.aleph4j.client.UploadResult;
import org.aleph4j.message.AlephMessage;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageBuilder;
import org.aleph4j.message.MessageException;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.MessageType;
import org.aleph4j.message.content.PostContent;
import org.aleph4j.message.runtime.DefaultRuntime;

/** What a network operator does once: publish the default runtime and fund accounts through the oracle. */
public final class NetworkBootstrap {
    private final CcnClient ccn;
    private final InstantSource clock;

    public NetworkBootstrap(CcnClient ccn, InstantSource clock) {
        this.ccn = ccn;
        this.clock = clock;
    }

    /** Uploads the runtime descriptor with its deterministic STORE unless the CCN already has it. */
    public void publishDefaultRuntime() throws CcnException, IOException {
        AlephMessage store = DefaultRuntime.storeMessage();
        var existing = ccn.status(store.itemHash());
        if (existing.isPresent() && MessageStatus.PROCESSED.is(existing.get().status())) return;
        byte[] descriptor = DefaultRuntime.descriptor();
        UploadResult result = ccn.uploadFile(new ByteArrayInputStream(descriptor), descriptor.length, "aleph4j-python3.json",
                store, true, UploadProgress.NONE);
        if (result.httpStatus() >= 300) {
            throw new IOException("publishing the default runtime failed: HTTP " + result.httpStatus() + " " + result.body());
        }
    }

    /** Sets balances with a {@code balances-update} POST signed by the oracle key. */
    public PostResult fund(EthAccount oracle, Map<String, Double> balances) throws CcnException, MessageException {
        double now = clock.millis() / 1000.0;
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("chain", "ETH");
        body.put("main_height", (long) now);
        ObjectNode b = body.putObject("balances");
        balances.forEach(b::put);
        PostContent content = new PostContent(oracle.address(), now, body, "balances-update", null);
        AlephMessage m = MessageBuilder.build(oracle, MessageType.POST, content, "ALEPH4J-DEVNET", now);
        PostResult r = ccn.post(m, true);
        if (!r.processed()) throw new CcnException(ccn.baseUrl(), r.httpStatus(), null, "funding was not processed: " + r.messageStatus(), null, r.body());
        return r;
    }
}
