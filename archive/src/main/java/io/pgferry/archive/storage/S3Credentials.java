package io.pgferry.archive.storage;

/** Static S3 keys. {@link #toString()} never shows the secret or the session token. */
public record S3Credentials(String accessKeyId, String secretAccessKey, String sessionToken) {
  public S3Credentials {
    if (accessKeyId == null || accessKeyId.isBlank() || secretAccessKey == null || secretAccessKey.isBlank()) {
      throw new IllegalArgumentException("S3 credentials need both an access key id and a secret access key");
    }
    if (sessionToken != null && sessionToken.isBlank()) {
      sessionToken = null;
    }
  }

  public S3Credentials(String accessKeyId, String secretAccessKey) {
    this(accessKeyId, secretAccessKey, null);
  }

  @Override
  public String toString() {
    return "S3Credentials[accessKeyId=" + accessKeyId + ", secretAccessKey=***"
        + (sessionToken == null ? "" : ", sessionToken=***") + "]";
  }
}
