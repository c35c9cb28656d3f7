package io.pgferry.controller.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.Cli;
import io.pgferry.common.UsageException;
import io.pgferry.controller.cli.PgferryMain;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertsInitTest {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  @TempDir
  Path tmp;

  @Test
  void issuesCaControllerAndAgentsWithPrivateKeysAndVerifiableChains() throws Exception {
    Path dir = tmp.resolve("tls");
    int exit = Cli.execute(new PgferryMain(), "certs", "init", dir.toString(), "--controller-host", "ctl.example.net",
        "--controller-host", "10.0.0.2", "--agent", "a", "--agent", "b=10.0.0.6,b.internal");
    assertEquals(0, exit);

    for (String name : List.of("ca", "controller", "agent-a", "agent-b")) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name + ".key"))), name + ".key");
      assertTrue(Files.isRegularFile(dir.resolve(name + ".pem")), name + ".pem");
    }
    X509Certificate ca = certificate(dir.resolve("ca.pem"));
    X509Certificate controller = certificate(dir.resolve("controller.pem"));
    X509Certificate agentA = certificate(dir.resolve("agent-a.pem"));
    assertEquals("EC", ca.getPublicKey().getAlgorithm());
    assertTrue(ca.getBasicConstraints() >= 0, "the CA is a CA");

    verifyChain(ca, controller);
    verifyChain(ca, agentA);
    verifyChain(ca, certificate(dir.resolve("agent-b.pem")));

    assertEquals("CN=controller", controller.getSubjectX500Principal().getName());
    assertEquals(List.of(SERVER_AUTH, CLIENT_AUTH), controller.getExtendedKeyUsage(), "clientAuth: its logins to A and B");
    Collection<List<?>> sans = controller.getSubjectAlternativeNames();
    Set<String> names = new HashSet<>();
    sans.forEach(san -> names.add(String.valueOf(san.get(1))));
    assertTrue(names.containsAll(Set.of("ctl.example.net", "10.0.0.2", "localhost", "127.0.0.1")), names.toString());

    assertEquals("CN=agent-a", agentA.getSubjectX500Principal().getName());
    assertEquals(List.of(CLIENT_AUTH), agentA.getExtendedKeyUsage());
    // b=HOSTS: b's certificate also serves b's PostgreSQL, named by those hosts (sslmode verify-full)
    X509Certificate agentB = certificate(dir.resolve("agent-b.pem"));
    assertEquals(List.of(CLIENT_AUTH, SERVER_AUTH), agentB.getExtendedKeyUsage());
    Set<String> bNames = new HashSet<>();
    agentB.getSubjectAlternativeNames().forEach(san -> bNames.add(String.valueOf(san.get(1))));
    assertEquals(Set.of("10.0.0.6", "b.internal"), bNames);

    // each key belongs to its certificate
    assertKeyMatches(dir.resolve("agent-a.key"), agentA);
    assertKeyMatches(dir.resolve("controller.key"), controller);
  }

  @Test
  void runAgainKeepsTheCaAndItsCertificatesUnlessForced() throws Exception {
    Path dir = tmp.resolve("tls");
    assertEquals(0, Cli.execute(new PgferryMain(), "certs", "init", dir.toString(), "--agent", "a"));
    byte[] firstCa = Files.readAllBytes(dir.resolve("ca.pem"));
    String agentA = Files.readString(dir.resolve("agent-a.pem"));

    assertEquals(0, Cli.execute(new PgferryMain(), "certs", "init", dir.toString(), "--agent", "a", "--agent", "b", "--operator", "ops"));
    assertEquals(new String(firstCa), Files.readString(dir.resolve("ca.pem")));
    assertEquals(agentA, Files.readString(dir.resolve("agent-a.pem")), "an existing certificate is kept");
    X509Certificate ca = certificate(dir.resolve("ca.pem"));
    verifyChain(ca, certificate(dir.resolve("agent-b.pem")));
    X509Certificate operator = certificate(dir.resolve("operator-ops.pem"));
    verifyChain(ca, operator);
    assertEquals("CN=operator-ops", operator.getSubjectX500Principal().getName());
    assertEquals(List.of(CLIENT_AUTH), operator.getExtendedKeyUsage());
    assertKeyMatches(dir.resolve("operator-ops.key"), operator);

    assertEquals(0, Cli.execute(new PgferryMain(), "certs", "init", dir.toString(), "--agent", "a", "--force"));
    assertNotEquals(new String(firstCa), Files.readString(dir.resolve("ca.pem")));
    assertNotEquals(agentA, Files.readString(dir.resolve("agent-a.pem")));

    Files.delete(dir.resolve("ca.pem"));
    assertEquals(2, Cli.execute(new PgferryMain(), "certs", "init", dir.toString(), "--operator", "x"), "half a CA is not reused");
    assertEquals(2, Cli.execute(new PgferryMain(), "certs", "init", dir.toString(), "--operator", "Bad_Name", "--force"));
  }

  @Test
  void badAgentIdIsAUsageError() {
    assertThrows(UsageException.class, () -> new CertificateAuthority(tmp, Duration.ofDays(1), Duration.ofDays(1))
        .init(List.of(), List.of("Bad_Name"), false));
    assertEquals(2, Cli.execute(new PgferryMain(), "certs", "init", tmp.resolve("x").toString(), "--agent", "../etc"));
  }

  private static void verifyChain(X509Certificate ca, X509Certificate leaf) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(List.of(leaf)), params);
  }

  private static X509Certificate certificate(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static void assertKeyMatches(Path keyPem, X509Certificate certificate) throws Exception {
    String base64 = Files.readString(keyPem).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    var key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    byte[] data = "pgferry".getBytes();
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(key);
    signer.update(data);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(certificate.getPublicKey());
    verifier.update(data);
    assertTrue(verifier.verify(signature), keyPem + " does not match its certificate");
  }
}
