package io.pgferry.controller.cli;

import io.pgferry.common.UsageException;
import io.pgferry.controller.certs.PemFiles;
import io.pgferry.controller.daemon.TokenFile;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the CLI (and the test rig) present to the controller's API: an operator certificate and its key (PEM, from
 * {@code pgferry certs init DIR --operator NAME}), the CA that signed the controller's certificate, and/or a bearer
 * token read from a 0600 file. Any of them may be absent (an {@code insecure: true} controller needs none).
 */
public record ApiCredentials(Path cert, Path key, Path cacert, Path tokenFile) {
  private static final char[] IN_MEMORY = "pgferry".toCharArray();

  public static ApiCredentials none() {
    return new ApiCredentials(null, null, null, null);
  }

  /** Whether TLS material is given (the API is then spoken over https). */
  public boolean tls() {
    return cert != null || cacert != null;
  }

  /** A client that presents the certificate and trusts the CA (the JVM's default trust when none is given). */
  public HttpClient httpClient() {
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (tls()) {
      builder.sslContext(sslContext());
    }
    return builder.build();
  }

  /** Adds {@code Authorization: Bearer} when a token file is given. */
  public HttpRequest.Builder authorize(HttpRequest.Builder request) {
    if (tokenFile != null) {
      request.header("Authorization", "Bearer " + TokenFile.read(tokenFile, "--token-file"));
    }
    return request;
  }

  /** The one-line error for a call that failed on the way (a TLS failure says which files to give). */
  static UsageException failure(URI base, IOException e) {
    if (e instanceof SSLException || e.getCause() instanceof SSLException) {
      return new UsageException("controller at " + base + ": TLS failed (" + e.getMessage() + "); give --cacert with the CA"
          + " that signed its certificate (ca.pem of `pgferry certs init`) and --cert/--key of an operator (or --token-file)");
    }
    if (!"https".equals(base.getScheme()) && String.valueOf(e.getMessage()).contains("no bytes")) {
      return new UsageException("controller at " + base + " closed the connection; if it serves https (controller.yaml"
          + " has tls:), use an https:// URL with --cacert and --cert/--key");
    }
    return new UsageException("controller at " + base + ": " + e.getMessage());
  }

  private SSLContext sslContext() {
    try {
      KeyManagerFactory keys = null;
      if (cert != null) {
        if (key == null) {
          throw new UsageException("--cert " + cert + " needs --key (or PGFERRY_KEY): the operator certificate's private key");
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        List<X509Certificate> chain = PemFiles.certificates(cert);
        store.setKeyEntry("operator", PemFiles.privateKey(key), IN_MEMORY, chain.toArray(new X509Certificate[0]));
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, IN_MEMORY);
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (cacert != null) {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        List<X509Certificate> cas = PemFiles.certificates(cacert);
        for (int i = 0; i < cas.size(); i++) {
          store.setCertificateEntry("ca-" + i, cas.get(i));
        }
        trust.init(store);
      } else {
        trust.init((KeyStore) null);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new UsageException("cannot use the TLS files --cert " + cert + " --key " + key + " --cacert " + cacert + ": " + e.getMessage());
    }
  }
}
