package org.aleph4j.ccn.files;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Files as objects {@code <prefix><sha256>} of an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage), which several
 * CCN replicas on one database share: a file stored through one is served by all. An upload is spooled to local
 * disk while its sha256 and MD5 are computed, then committed with a HEAD (an object of that name and size is
 * already these bytes: content-addressed) and, only when missing, a PUT with its Content-MD5. Downloads stream
 * through a {@link HashCheckedStream}, so the bucket is trusted with nothing: an object whose bytes do not hash to
 * its name never reaches a client whole, and one larger than {@code maxObjectBytes} (more than any upload this node
 * accepts) is refused before a byte is read. Every call is bounded ({@link S3Location#timeout()} plus 1 s per MiB
 * for a PUT; the socket's read timeout for each read of a body); a store that is down, answers 5xx or refuses the
 * credentials raises {@link FileStoreUnavailableException}. The HTTP client is the JDK's (HttpURLConnection), as the
 * CRN's S3 snapshot store: no netty, no Apache client.
 */
public final class S3FileStore implements FileStore {
    private static final long MIB = 1 << 20;

    private final S3Location config;
    private final Spool spool;
    private final long maxObjectBytes;
    private final S3Client s3;
    private final java.util.concurrent.atomic.AtomicLong uploads = new java.util.concurrent.atomic.AtomicLong();

    /** {@code spool} is this store's alone: uploads a previous run left in it are deleted. */
    public S3FileStore(S3Location config, Path spool, long maxObjectBytes) throws IOException {
        this.config = config;
        this.spool = new Spool(spool);
        this.maxObjectBytes = maxObjectBytes;
        this.s3 = client(config);
    }

    private static S3Client client(S3Location c) {
        AwsCredentialsProvider credentials = c.accessKey() == null ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKey(), c.secretKey()));
        S3ClientBuilder b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(c.timeout()).socketTimeout(c.timeout()))
                .region(Region.of(c.region()))
                .credentialsProvider(credentials)
                // path-style and plain signed payloads: what every S3-compatible server understands
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).chunkedEncodingEnabled(false).build())
                // no CRC trailers (not every S3-compatible server has them): integrity is the Content-MD5 up, the sha256 down
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.apiCallTimeout(c.timeout()));
        if (c.endpoint() != null) b.endpointOverride(c.endpoint());
        return b.build();
    }

    /** PUTs made so far (files found already stored are not counted). */
    long uploads() {
        return uploads.get();
    }

    public S3Location config() {
        return config;
    }

    private String key(String hash) {
        FileStore.checkHash(hash);
        return config.prefix() + hash;
    }

    private final class S3Staged implements Staged {
        private final Spool.File file;

        private S3Staged(Spool.File file) {
            this.file = file;
        }

        @Override
        public String hash() {
            return file.sha256();
        }

        @Override
        public long size() {
            return file.size();
        }

        @Override
        public void commit() throws IOException {
            String key = key(file.sha256());
            Long stored = head(key);
            if (stored != null && stored == file.size()) return; // content-addressed: these bytes are there
            Duration bound = config.timeout().plus(Duration.ofSeconds(file.size() / MIB + 1));
            call("store", key, bound, () -> s3.putObject(PutObjectRequest.builder().bucket(config.bucket()).key(key)
                    .contentLength(file.size()).contentMD5(Base64.getEncoder().encodeToString(file.md5()))
                    .contentType("application/octet-stream").overrideConfiguration(bounded(bound)).build(),
                    RequestBody.fromFile(file.path())));
            uploads.incrementAndGet();
        }

        @Override
        public void close() throws IOException {
            Files.deleteIfExists(file.path());
        }
    }

    @Override
    public Staged stage(InputStream in, long limit) throws IOException {
        return new S3Staged(spool.write(in, limit, true));
    }

    /** The object's size, null when there is none. */
    private Long head(String key) {
        return call("look up", key, config.timeout(), () -> {
            try {
                return s3.headObject(HeadObjectRequest.builder().bucket(config.bucket()).key(key).build()).contentLength();
            } catch (S3Exception e) {
                if (e.statusCode() == 404) return null;
                throw e;
            }
        });
    }

    @Override
    public boolean exists(String hash) {
        return FileStore.isHash(hash) && head(key(hash)) != null;
    }

    @Override
    public long size(String hash) throws IOException {
        Long size = head(key(hash));
        if (size == null) throw new NoSuchFileException(hash);
        return size;
    }

    @Override
    public Opened open(String hash) throws IOException {
        String key = key(hash);
        ResponseInputStream<GetObjectResponse> body = call("download", key, config.timeout(), () -> {
            try {
                return s3.getObject(GetObjectRequest.builder().bucket(config.bucket()).key(key).build());
            } catch (S3Exception e) {
                if (e.statusCode() == 404) return null;
                throw e;
            }
        });
        if (body == null) throw new NoSuchFileException(hash);
        Long size = body.response().contentLength();
        if (size == null || size < 0 || size > maxObjectBytes) {
            body.abort();
            throw new CorruptException("object " + key + " declares " + size + " bytes, not a file this node could have stored"
                    + " (at most " + maxObjectBytes + ")");
        }
        return new Opened(size, new HashCheckedStream(body, hash, size, "object " + key, body::abort));
    }

    @Override
    public byte[] read(String hash) throws IOException {
        try {
            return FileStore.super.read(hash);
        } catch (CorruptException e) {
            throw new FileStoreUnavailableException(e.getMessage(), e);
        }
    }

    @Override
    public void delete(String hash) {
        if (!FileStore.isHash(hash)) return;
        String key = key(hash);
        call("delete", key, config.timeout(), () -> s3.deleteObject(DeleteObjectRequest.builder().bucket(config.bucket()).key(key).build()));
    }

    @Override
    public String location() {
        return config.location();
    }

    /** Runs an SDK call, turning its failures into {@link FileStoreUnavailableException}s that name the bucket and object. */
    private <T> T call(String what, String key, Duration bound, Supplier<T> sdkCall) {
        String where = "object " + key + " in bucket " + config.bucket();
        try {
            return sdkCall.get();
        } catch (ApiCallTimeoutException | ApiCallAttemptTimeoutException e) {
            throw new FileStoreUnavailableException("cannot " + what + " " + where + ": the object store did not answer within "
                    + bound.toMillis() + " ms", e);
        } catch (S3Exception e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            throw new FileStoreUnavailableException("cannot " + what + " " + where + ": the object store answered HTTP "
                    + e.statusCode() + (code == null ? "" : " " + code), e);
        } catch (SdkException e) {
            throw new FileStoreUnavailableException("cannot " + what + " " + where + " at " + endpoint() + ": " + e.getMessage(), e);
        }
    }

    private String endpoint() {
        URI e = config.endpoint();
        return e == null ? "AWS S3 " + config.region() : e.toString();
    }

    private static AwsRequestOverrideConfiguration bounded(Duration bound) {
        return AwsRequestOverrideConfiguration.builder().apiCallTimeout(bound).build();
    }

    @Override
    public void close() {
        s3.close();
    }
}
