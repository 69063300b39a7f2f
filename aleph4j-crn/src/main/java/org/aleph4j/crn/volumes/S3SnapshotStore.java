package org.aleph4j.crn.volumes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A {@link SnapshotStore} in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage), for networks
 * whose snapshots outgrow one CCN's disk. Parts as {@link CcnSnapshotStore}'s: at most 16 MiB, each
 * spooled to a file in {@code spool} while its sha256 is computed, then stored as the object
 * {@code <prefix><sha256>}: content-addressed, so a part whose object already has its size is not
 * uploaded again (a HEAD, then a PUT with a Content-MD5 only when it is missing). Downloads ask for
 * no more than the part may hold (a Range), read no further, and are handed out only once their
 * hash matches the ref: the bucket is trusted with nothing. Every call is bounded by
 * {@code timeout} plus 1 s per MiB (the SDK's call timeout, its connect and read timeouts, and for a
 * body being read a watchdog that aborts it). Safe for concurrent use, as the CCN's.
 */
public final class S3SnapshotStore implements SnapshotStore, AutoCloseable {
    private static final long MIB = 1 << 20;

    private final S3Config config;
    private final Path spool;
    private final int partBytes;
    private final Duration timeout;
    private final S3Client s3;
    private final AtomicLong uploads = new AtomicLong();

    /** {@code spool} is this store's alone: parts a previous run left in it are deleted. */
    public S3SnapshotStore(S3Config config, Path spool, Duration timeout) throws IOException {
        this(config, spool, timeout, CcnSnapshotStore.PART_BYTES);
    }

    S3SnapshotStore(S3Config config, Path spool, Duration timeout, int partBytes) throws IOException {
        this.config = config;
        this.spool = Files.createDirectories(spool);
        try (var left = Files.newDirectoryStream(spool, "{put,get}-*.part")) {
            for (Path p : left) Files.deleteIfExists(p); // what a previous run was moving
        }
        this.partBytes = partBytes;
        this.timeout = timeout;
        this.s3 = client(config, timeout);
    }

    private static S3Client client(S3Config c, Duration timeout) {
        AwsCredentialsProvider credentials = c.accessKey() == null ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(AwsBasicCredentials.create(c.accessKey(), c.secretKey()));
        S3ClientBuilder b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(timeout).socketTimeout(timeout))
                .region(Region.of(c.region()))
                .credentialsProvider(credentials)
                // path-style and plain signed payloads: what every S3-compatible server understands
                .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).chunkedEncodingEnabled(false).build())
                // no CRC trailers (not every S3-compatible server has them): integrity is the Content-MD5 up, the sha256 down
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (c.endpoint() != null) b.endpointOverride(c.endpoint());
        return b.build();
    }

    /** Where the parts go. */
    public S3Config config() {
        return config;
    }

    /** PUTs made so far (parts found already stored are not counted). */
    long uploads() {
        return uploads.get();
    }

    @Override
    public List<String> put(InputStream encrypted) throws IOException {
        List<String> refs = new ArrayList<>();
        byte[] buf = new byte[64 * 1024];
        while (true) {
            Path part = Files.createTempFile(spool, "put-", ".part");
            try {
                MessageDigest sha = digest("SHA-256");
                MessageDigest md5 = digest("MD5");
                long n = 0;
                try (OutputStream out = new DigestOutputStream(new DigestOutputStream(Files.newOutputStream(part), md5), sha)) {
                    int r;
                    while (n < partBytes && (r = encrypted.read(buf, 0, (int) Math.min(buf.length, partBytes - n))) > 0) {
                        out.write(buf, 0, r);
                        n += r;
                    }
                }
                if (n == 0) return List.copyOf(refs);
                String hash = HexFormat.of().formatHex(sha.digest());
                upload(part, hash, Base64.getEncoder().encodeToString(md5.digest()), n, refs.size());
                refs.add(hash);
                if (n < partBytes) return List.copyOf(refs);
            } finally {
                Files.deleteIfExists(part);
            }
        }
    }

    private void upload(Path part, String hash, String md5, long size, int index) throws IOException {
        String key = config.prefix() + hash;
        String what = "store snapshot part " + index;
        Long stored = call(what, key, timeout, () -> {
            try {
                return s3.headObject(HeadObjectRequest.builder().bucket(config.bucket()).key(key)
                        .overrideConfiguration(bounded(timeout)).build()).contentLength();
            } catch (S3Exception e) {
                if (e.statusCode() == 404) return null;
                throw e;
            }
        });
        if (stored != null && stored == size) return; // content-addressed: these bytes are there
        Duration bound = timeout.plus(Duration.ofSeconds(size / MIB + 1));
        call(what, key, bound, () -> s3.putObject(PutObjectRequest.builder().bucket(config.bucket()).key(key).contentLength(size)
                .contentMD5(md5).contentType("application/octet-stream").overrideConfiguration(bounded(bound)).build(),
                RequestBody.fromFile(part)));
        uploads.incrementAndGet();
    }

    @Override
    public InputStream get(List<String> parts, long expectedBytes) throws IOException {
        return PartStream.open(parts, expectedBytes, partBytes, this::download);
    }

    /** Downloads part {@code index} into a spool file, reading at most {@code max} bytes; the file is returned once its hash is the ref. */
    private Path download(String ref, int index, long max, boolean last, long left) throws IOException {
        String key = config.prefix() + ref;
        String name = "snapshot part " + index + " (object " + key + " in bucket " + config.bucket() + ")";
        Duration bound = timeout.plus(Duration.ofSeconds(max / MIB + 1));
        ResponseInputStream<GetObjectResponse> body;
        try {
            body = call("download snapshot part " + index, key, bound, () -> s3.getObject(GetObjectRequest.builder()
                    .bucket(config.bucket()).key(key).range("bytes=0-" + (max - 1)).overrideConfiguration(bounded(bound)).build()));
        } catch (VolumeException e) {
            if (e.getCause() instanceof S3Exception s && s.statusCode() == 404) throw new SnapshotCorruptException(name + " is missing", e);
            // a Range the object cannot satisfy: it is empty
            if (e.getCause() instanceof S3Exception s && s.statusCode() == 416) throw new SnapshotCorruptException(name + " is empty", e);
            throw e;
        }
        Path file = Files.createTempFile(spool, "get-", ".part");
        // the call's timeout ends with the headers: a body that stalls is aborted at the same bound
        AtomicBoolean late = new AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(bound);
                late.set(true);
                body.abort();
            } catch (InterruptedException done) {
                // finished in time
            }
        });
        try {
            long total = objectSize(body.response());
            // the size the server declares is checked before a byte is read
            if (total > max) throw new SnapshotCorruptException(name + " holds " + total + " bytes, larger than the " + max + " it may hold");
            if (total == 0 || last && total >= 0 && total != left) {
                throw new SnapshotCorruptException(name + " has a wrong size (" + total + " bytes)");
            }
            MessageDigest sha = digest("SHA-256");
            long n;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), sha)) {
                n = body.transferTo(new BoundedOutput(out, max));
            } catch (SnapshotCorruptException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                if (late.get()) throw new VolumeException(name + " did not download within " + bound.toSeconds() + " s", e);
                throw new VolumeException("cannot download " + name + " from " + endpoint() + ": " + e, e);
            }
            if (n > max || last && n != left || n == 0) throw new SnapshotCorruptException(name + " has a wrong size (" + n + " bytes)");
            String got = HexFormat.of().formatHex(sha.digest());
            if (!got.equals(ref)) throw new SnapshotCorruptException("snapshot part " + index + " hashes to " + got + ", not " + ref
                    + " (object " + key + " in bucket " + config.bucket() + ")");
            body.close();
            return file;
        } catch (IOException | RuntimeException e) {
            body.abort(); // not drained: what is left of a wrong body is not read
            Files.deleteIfExists(file);
            throw e;
        } finally {
            watchdog.interrupt();
        }
    }

    /** The object's whole size: from Content-Range when the server honoured the Range, else the body's length (-1 unknown). */
    private static long objectSize(GetObjectResponse r) {
        String range = r.contentRange();
        if (range != null && range.lastIndexOf('/') > 0) {
            try {
                return Long.parseLong(range.substring(range.lastIndexOf('/') + 1).strip());
            } catch (NumberFormatException unknown) {
                // "*": the body's own bound applies
            }
        }
        return range == null && r.contentLength() != null ? r.contentLength() : -1;
    }

    /** Runs an SDK call, turning its failures into errors that name the bucket and the object. */
    private <T> T call(String what, String key, Duration bound, Supplier<T> sdkCall) throws VolumeException {
        String where = "object " + key + " in bucket " + config.bucket();
        try {
            return sdkCall.get();
        } catch (ApiCallTimeoutException | ApiCallAttemptTimeoutException e) {
            throw new VolumeException("cannot " + what + ": " + where + " did not answer within " + bound.toSeconds() + " s", e);
        } catch (S3Exception e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            throw new VolumeException("cannot " + what + ": the S3 store refused " + where + ": HTTP " + e.statusCode()
                    + (code == null ? "" : " " + code), e);
        } catch (SdkException e) {
            throw new VolumeException("cannot " + what + ": " + where + " at " + endpoint() + " failed: " + e.getMessage(), e);
        }
    }

    private String endpoint() {
        return config.endpoint() == null ? "AWS S3 " + config.region() : config.endpoint().toString();
    }

    private static AwsRequestOverrideConfiguration bounded(Duration bound) {
        return AwsRequestOverrideConfiguration.builder().apiCallTimeout(bound).build();
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
