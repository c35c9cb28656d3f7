package io.pgferry.testkit;

import com.robothy.s3.rest.LocalS3;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * An S3-compatible server over HTTP on 127.0.0.1 (local-s3-rest, in memory) with one bucket created. It accepts
 * any credentials; put a {@link FaultyHttpProxy} in front to check them or to inject failures. Always close it.
 */
public final class S3Server implements AutoCloseable {
  public static final String ACCESS_KEY = "pgferry-test-key";
  public static final String SECRET_KEY = "pgferry-test-secret";

  private final LocalS3 server;
  private final String bucket;

  private S3Server(LocalS3 server, String bucket) {
    this.server = server;
    this.bucket = bucket;
  }

  public static S3Server start(String bucket) {
    LocalS3 s = LocalS3.builder().port(-1).build();
    s.start();
    S3Server started = new S3Server(s, bucket);
    try {
      started.createBucket(bucket);
    } catch (RuntimeException | IOException | InterruptedException e) {
      s.shutdown();
      throw new IllegalStateException("local S3 server: could not create bucket " + bucket, e);
    }
    return started;
  }

  /** Creates another bucket (plain unsigned PUT: this server does not check signatures). */
  public void createBucket(String name) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(endpoint().resolve("/" + name)).PUT(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("create bucket " + name + ": HTTP " + r.statusCode() + " " + r.body());
    }
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getPort());
  }

  public int port() {
    return server.getPort();
  }

  public String bucket() {
    return bucket;
  }

  @Override
  public void close() {
    server.shutdown();
  }
}
