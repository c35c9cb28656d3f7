package io.pgferry.archive.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.SequenceInputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An archive under {@code s3://bucket/prefix}. Requests retry inside the SDK (standard strategy, configured
 * explicitly: exponential backoff with jitter on 5xx, throttling and I/O errors, no circuit breaker). Bodies are
 * buffered in memory up to the multipart threshold or one part, so every retry can resend them. Objects above the
 * threshold go up as multipart uploads, {@link S3Options#uploadConcurrency()} parts at a time; a failed one is
 * aborted so no orphan parts stay billed.
 */
public final class S3Store implements ObjectStore {
  private static final Set<String> ACCESS_ERRORS = Set.of("InvalidAccessKeyId", "SignatureDoesNotMatch",
      "AccessDenied", "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled",
      "AccountProblem", "InvalidClientTokenId");

  private final String bucket;
  private final String prefix;
  private final S3Options options;
  private final S3Client s3;
  private final ExecutorService partUploads;

  public S3Store(String bucket, String prefix, S3Options options) {
    this.bucket = bucket;
    this.prefix = prefix == null ? "" : prefix;
    this.options = options;
    this.s3 = buildClient(options);
    AtomicInteger n = new AtomicInteger();
    this.partUploads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "s3-part-upload-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  static S3Client buildClient(S3Options o) {
    RetryStrategy retry = AwsRetryStrategy.standardRetryStrategy().toBuilder()
        .maxAttempts(o.maxAttempts())
        .backoffStrategy(BackoffStrategy.exponentialDelay(o.retryBaseDelay(), o.retryMaxDelay()))
        .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(o.retryBaseDelay().multipliedBy(5),
            o.retryMaxDelay()))
        .circuitBreakerEnabled(false) // an outage must not turn later requests into instant failures
        .build();
    S3ClientBuilder b = S3Client.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(10))
            .socketTimeout(Duration.ofSeconds(60)))
        .overrideConfiguration(c -> c.retryStrategy(retry))
        .credentialsProvider(credentials(o.credentials()))
        .forcePathStyle(o.pathStyle());
    if (o.region() != null) {
      b.region(Region.of(o.region()));
    } else {
      b.region(Region.US_EAST_1);
      if (o.endpoint() == null) {
        b.crossRegionAccessEnabled(true); // find the bucket's region, as WAL-G does with GetBucketLocation
      }
    }
    if (o.endpoint() != null) {
      b.endpointOverride(o.endpoint());
      // S3-compatible servers often lack the newer default checksum headers; send them only where required
      b.requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED);
      b.responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    return b.build();
  }

  private static AwsCredentialsProvider credentials(S3Credentials c) {
    if (c == null) {
      return DefaultCredentialsProvider.builder().build();
    }
    return StaticCredentialsProvider.create(c.sessionToken() == null
        ? AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())
        : AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken()));
  }

  private String fullKey(String key) {
    ObjectKeys.check(key);
    return prefix.isEmpty() ? key : prefix + "/" + key;
  }

  @Override
  public InputStream get(String key) throws IOException {
    String full = fullKey(key);
    try {
      ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(bucket).key(full));
      return new ResumingS3InputStream(s3, bucket, full, in, options.maxAttempts(),
          e -> translate("read", key, e));
    } catch (NoSuchKeyException e) {
      throw new NoSuchObjectException(key);
    } catch (SdkException e) {
      throw translate("get", key, e);
    }
  }

  @Override
  public boolean exists(String key) throws IOException {
    String full = fullKey(key);
    try {
      s3.headObject(r -> r.bucket(bucket).key(full));
      return true;
    } catch (NoSuchKeyException e) {
      checkBucketOnce(); // the SDK calls any HEAD 404 NoSuchKey, a missing bucket included
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404 && !"NoSuchBucket".equals(errorCode(e))) {
        // HEAD answers carry no error body: a missing bucket must not pass for a missing object
        checkBucketOnce();
        return false;
      }
      throw translate("head", key, e);
    } catch (SdkException e) {
      throw translate("head", key, e);
    }
  }

  private volatile boolean bucketSeen;

  private void checkBucketOnce() throws IOException {
    if (bucketSeen) {
      return;
    }
    try {
      s3.headBucket(r -> r.bucket(bucket));
      bucketSeen = true;
    } catch (NoSuchBucketException e) {
      throw translate("head", "(bucket)", e);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        throw new StorageAccessException("S3 bucket '" + bucket + "' does not exist (" + describe() + "): check "
            + "the bucket name in the archive URL, and the region/endpoint");
      }
      throw translate("head", "(bucket)", e);
    } catch (SdkException e) {
      throw translate("head", "(bucket)", e);
    }
  }

  @Override
  public void put(String key, InputStream content, long length) throws IOException {
    String full = fullKey(key);
    int threshold = (int) options.multipartThreshold();
    byte[] first = content.readNBytes(threshold);
    int peek = first.length == threshold ? content.read() : -1;
    try {
      if (peek < 0) {
        checkLength(key, length, first.length);
        s3.putObject(r -> r.bucket(bucket).key(full).contentLength((long) first.length),
            RequestBody.fromBytes(first));
        return;
      }
      InputStream rest = new SequenceInputStream(new ByteArrayInputStream(first),
          new SequenceInputStream(new ByteArrayInputStream(new byte[] {(byte) peek}), content));
      multipartUpload(key, full, rest, length);
    } catch (SdkException e) {
      throw translate("put", key, e);
    }
  }

  private void multipartUpload(String key, String full, InputStream in, long length) throws IOException {
    String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(full)).uploadId();
    boolean completed = false;
    Semaphore inFlight = new Semaphore(options.uploadConcurrency());
    List<Future<CompletedPart>> parts = new ArrayList<>();
    try {
      long total = 0;
      for (int partNumber = 1; ; partNumber++) {
        byte[] part = in.readNBytes((int) options.partSize());
        if (part.length == 0 && partNumber > 1) {
          break;
        }
        total += part.length;
        for (Future<CompletedPart> f : parts) {
          if (f.isDone()) {
            f.get(); // a part that failed for good stops the upload now, not after reading the whole source
          }
        }
        int number = partNumber;
        inFlight.acquire();
        parts.add(partUploads.submit(() -> {
          try {
            UploadPartResponse r = s3.uploadPart(p -> p.bucket(bucket).key(full).uploadId(uploadId)
                .partNumber(number).contentLength((long) part.length), RequestBody.fromBytes(part));
            return CompletedPart.builder().partNumber(number).eTag(r.eTag()).checksumCRC32(r.checksumCRC32())
                .checksumCRC32C(r.checksumCRC32C()).checksumCRC64NVME(r.checksumCRC64NVME())
                .checksumSHA1(r.checksumSHA1()).checksumSHA256(r.checksumSHA256()).build();
          } finally {
            inFlight.release();
          }
        }));
        if (part.length < options.partSize()) {
          break;
        }
      }
      checkLength(key, length, total);
      List<CompletedPart> done = new ArrayList<>();
      for (Future<CompletedPart> f : parts) {
        done.add(f.get());
      }
      s3.completeMultipartUpload(r -> r.bucket(bucket).key(full).uploadId(uploadId)
          .multipartUpload(m -> m.parts(done)));
      completed = true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("put " + key + " interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SdkException sdk) {
        throw translate("upload part of", key, sdk);
      }
      throw new IOException("put " + key + " to " + describe() + ": " + cause, cause);
    } finally {
      if (!completed) {
        for (Future<CompletedPart> f : parts) {
          f.cancel(true);
        }
        try {
          s3.abortMultipartUpload(r -> r.bucket(bucket).key(full).uploadId(uploadId));
        } catch (SdkException ignored) {
          // best effort: a bucket lifecycle rule for incomplete uploads cleans up what this misses
        }
      }
    }
  }

  private void checkLength(String key, long expected, long actual) throws IOException {
    if (expected >= 0 && expected != actual) {
      throw new IOException("put " + key + " into " + describe() + ": expected " + expected + " bytes, got "
          + actual + " (the source changed or was cut short)");
    }
  }

  @Override
  public List<StoredObject> list(String keyPrefix) throws IOException {
    String root = prefix.isEmpty() ? "" : prefix + "/";
    List<StoredObject> found = new ArrayList<>();
    try {
      for (S3Object o : s3.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(root + keyPrefix)).contents()) {
        found.add(new StoredObject(o.key().substring(root.length()), o.size(), o.lastModified()));
      }
    } catch (SdkException e) {
      throw translate("list", keyPrefix + "*", e);
    }
    // S3 lists in UTF-8 byte order already; sorting keeps the contract for servers that do not
    found.sort(Comparator.comparing(StoredObject::key));
    return found;
  }

  @Override
  public void delete(String key) throws IOException {
    String full = fullKey(key);
    try {
      s3.deleteObject(r -> r.bucket(bucket).key(full));
    } catch (SdkException e) {
      throw translate("delete", key, e);
    }
  }

  @Override
  public String describe() {
    String url = "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    URI endpoint = options.endpoint();
    return endpoint == null ? url : url + " at " + endpoint;
  }

  @Override
  public String toString() {
    return describe();
  }

  @Override
  public void close() {
    partUploads.shutdownNow();
    s3.close();
  }

  private static String errorCode(S3Exception e) {
    return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
  }

  /** Turns what the SDK gave up on into an error that says what to check. */
  IOException translate(String op, String key, SdkException e) {
    String where = op + " " + key + " in " + describe();
    if (e instanceof S3Exception s3e) {
      String code = errorCode(s3e);
      if (s3e.statusCode() == 403 || ACCESS_ERRORS.contains(code)) {
        return new StorageAccessException("S3 refused access to bucket '" + bucket + "' (" + (code == null
            ? "HTTP 403" : code) + ") on " + where + ": check the access key and secret (AWS_ACCESS_KEY_ID/"
            + "AWS_SECRET_ACCESS_KEY or archive credentials), that they are active and not expired, that they "
            + "allow s3:GetObject, s3:PutObject and s3:ListBucket on this bucket, and the region/endpoint");
      }
      if ("NoSuchBucket".equals(code)) {
        return new StorageAccessException("S3 bucket '" + bucket + "' does not exist (" + where + "): check the "
            + "bucket name in the archive URL, and the region/endpoint");
      }
      if (s3e.statusCode() == 301 || "PermanentRedirect".equals(code) || "AuthorizationHeaderMalformed".equals(code)) {
        return new StorageAccessException("S3 bucket '" + bucket + "' is in another region (" + code + ") on "
            + where + ": set AWS_REGION or archive.s3.region to the bucket's region");
      }
      return new IOException("S3 " + where + " failed after " + options.maxAttempts() + " attempts: HTTP "
          + s3e.statusCode() + " " + code + ": " + s3e.awsErrorDetails().errorMessage(), e);
    }
    if (e instanceof SdkClientException) {
      return new IOException("S3 " + where + " failed after " + options.maxAttempts() + " attempts: "
          + e.getMessage() + "; check that the endpoint is reachable", e);
    }
    return new IOException("S3 " + where + " failed: " + e.getMessage(), e);
  }
}
