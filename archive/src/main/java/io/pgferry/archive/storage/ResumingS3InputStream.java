package io.pgferry.archive.storage;

import io.pgferry.common.Backoff;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.function.Function;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * The body of a GET that survives a dropped connection: on an I/O error mid-body it asks again for the rest
 * ({@code Range: bytes=pos-}, {@code If-Match: etag} so a replaced object fails instead of being spliced). The SDK
 * retries only the request, not a body already being read.
 */
final class ResumingS3InputStream extends InputStream {
  private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10), 2.0);

  private final S3Client s3;
  private final String bucket;
  private final String key;
  private final String etag;
  private final Long length;
  private final int maxAttempts;
  private final Function<SdkException, IOException> translate;
  private InputStream in;
  private long position;
  private int resumes;

  ResumingS3InputStream(S3Client s3, String bucket, String key, ResponseInputStream<GetObjectResponse> first,
      int maxAttempts, Function<SdkException, IOException> translate) {
    this.s3 = s3;
    this.bucket = bucket;
    this.key = key;
    this.etag = first.response().eTag();
    this.length = first.response().contentLength();
    this.maxAttempts = maxAttempts;
    this.translate = translate;
    this.in = first;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    while (true) {
      try {
        int n = in.read(b, off, len);
        if (n > 0) {
          position += n;
        } else if (n < 0 && length != null && position < length) {
          throw new EOFException("body ended at byte " + position + " of " + length);
        }
        return n;
      } catch (IOException e) {
        if (++resumes >= maxAttempts) {
          throw new IOException("reading s3://" + bucket + "/" + key + " broke off at byte " + position + " "
              + resumes + " times: " + e.getMessage(), e);
        }
        reopen();
      }
    }
  }

  private void reopen() throws IOException {
    try {
      in.close();
    } catch (IOException ignored) {
      // the broken connection may not close cleanly
    }
    try {
      Thread.sleep(BACKOFF.delay(resumes - 1).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while resuming " + key);
    }
    ResponseInputStream<GetObjectResponse> rest;
    try {
      rest = s3.getObject(r -> {
        r.bucket(bucket).key(key).range("bytes=" + position + "-");
        if (etag != null) {
          r.ifMatch(etag);
        }
      });
    } catch (SdkException e) {
      throw translate.apply(e);
    }
    String range = rest.response().contentRange();
    if (range == null || !range.startsWith("bytes " + position + "-")) {
      // the server ignored Range and sent the whole object: skip what we already have, never splice
      rest.skipNBytes(position);
    }
    in = rest;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
