package io.pgferry.controller.daemon;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pgferry.common.Tls;
import io.pgferry.common.TlsWarmup;
import io.pgferry.controller.certs.CertificateAuthority;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller's warm-up handshake is a real mutual-TLS handshake: it completes with pgferry's certificates and fails on a foreign CA. */
class TlsWarmupTest {
  @TempDir
  static Path tmp;
  static Vertx vertx;
  static Path certs;
  static Path other;

  @BeforeAll
  static void certs() {
    vertx = Vertx.vertx();
    certs = tmp.resolve("certs");
    new CertificateAuthority(certs, Duration.ofDays(1), Duration.ofDays(1)).init(List.of(), List.of("a"), false);
    other = tmp.resolve("other");
    new CertificateAuthority(other, Duration.ofDays(1), Duration.ofDays(1)).init(List.of(), List.of(), false);
  }

  @AfterAll
  static void close() {
    vertx.close();
  }

  @Test
  void handshakeCompletesWithTheControllersOwnCertificate() throws Exception {
    TlsWarmup.handshake(vertx, new Tls(certs.resolve("ca.pem"), certs.resolve("controller.pem"), certs.resolve("controller.key")));
  }

  @Test
  void handshakeFailsWhenTheCertificateIsNotSignedByTheTrustedCa() {
    assertThrows(SSLException.class, () -> TlsWarmup.handshake(vertx,
        new Tls(other.resolve("ca.pem"), certs.resolve("controller.pem"), certs.resolve("controller.key"))));
  }
}
