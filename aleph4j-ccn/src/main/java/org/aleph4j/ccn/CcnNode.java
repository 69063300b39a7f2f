package org.aleph4j.ccn;

import io.javalin.Javalin;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.time.InstantSource;
import org.aleph4j.ccn.api.CcnApi;
import org.aleph4j.ccn.files.FileStore;
import org.aleph4j.ccn.files.LocalFileStore;
import org.aleph4j.ccn.files.S3FileStore;
import org.aleph4j.ccn.pipeline.MessageHandlers;
import org.aleph4j.ccn.pipeline.PipelineWorker;
import org.aleph4j.ccn.storage.Database;
import org.aleph4j.ccn.storage.MessageStore;
import org.aleph4j.ccn.stream.MessageStream;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.MessageValidator;
import org.aleph4j.message.runtime.DefaultRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A core channel node: wires database, file store, message handlers, pipeline worker, stream and HTTP API by hand.
 * {@code new CcnNode(config).start()} serves on {@link #url()}; {@link #close()} stops everything.
 * On start it also publishes aleph4j's default runtime (its descriptor file and deterministic STORE), so
 * PROGRAMs using {@link DefaultRuntime#ref()} find their runtime on any node.
 */
public final class CcnNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CcnNode.class);

    private final CcnConfig config;
    private Database db;
    private FileStore files;
    private PipelineWorker worker;
    private MessageStream stream;
    private Javalin app;
    private PrometheusMeterRegistry meters;

    public CcnNode(CcnConfig config) {
        this.config = config;
    }

    public synchronized CcnNode start() {
        if (app != null) throw new IllegalStateException("already started");
        try {
            Files.createDirectories(config.dataDir());
            files = config.fileStore() == null ? new LocalFileStore(config.dataDir().resolve("files"))
                    : new S3FileStore(config.fileStore(), config.dataDir().resolve("file-spool"),
                            Math.max(config.maxFileBytes(), config.maxUnauthenticatedFileBytes()));
            db = Database.open(config.jdbcUrl(), config.dataDir());
            MessageStore store = new MessageStore();
            meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            CcnLimits limits = config.limits();
            stream = new MessageStream(new MessageStream.Limits(limits.maxSubscribers(), limits.maxSubscribersPerAddress(),
                    limits.maxStreamHistory(), limits.streamQueueFrames(), limits.streamQueueChars()));
            meters.gauge("ccn_stream_subscribers", stream, MessageStream::subscriberCount);
            meters.more().counter("ccn_stream_slow_disconnects_total", java.util.List.of(), stream, MessageStream::slowDisconnects);
            MessageHandlers handlers = new MessageHandlers(store, files, config.oracleAddresses(), config.pricingOwner(),
                    config.upstreamRuntimeRefs());
            worker = new PipelineWorker(db, store, handlers, files, stream, InstantSource.system(), meters);
            MessageValidator validator = new MessageValidator(SignatureVerifier.best());
            CcnApi api = new CcnApi(config, db, store, files, handlers, worker, stream, validator, meters);
            worker.start();
            publishDefaultRuntime(files);
            app = Javalin.create(cfg -> {
                cfg.startup.showJavalinBanner = false;
                api.configure(cfg);
            });
            app.start(config.host(), config.port());
            log.info("CCN listening on {} (data in {}, database {}, files in {})", url(), config.dataDir(), db.dialect(), files.location());
            return this;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void publishDefaultRuntime(FileStore files) throws IOException {
        byte[] descriptor = DefaultRuntime.descriptor();
        String hash = files.put(descriptor);
        worker.fileArrived(hash, descriptor.length);
        worker.submit(DefaultRuntime.storeMessage(), Duration.ZERO);
    }

    public int port() {
        if (app == null) throw new IllegalStateException("not started");
        return app.port();
    }

    public URI url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        if ("0.0.0.0".equals(host)) host = "127.0.0.1";
        return URI.create("http://" + host + ":" + port());
    }

    public CcnConfig config() {
        return config;
    }

    @Override
    public synchronized void close() {
        if (app != null) {
            app.stop();
            app = null;
        }
        if (stream != null) stream.close();
        if (worker != null) worker.close();
        if (db != null) db.close();
        if (files != null) files.close();
        if (meters != null) meters.close();
    }
}
