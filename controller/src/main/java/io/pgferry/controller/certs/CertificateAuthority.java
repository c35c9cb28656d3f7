package io.pgferry.controller.certs;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.UsageException;
import io.pgferry.controller.link.AgentIdentity;
import io.pgferry.controller.web.OperatorIdentity;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Issues the link's certificates: one EC P-256 CA, a controller certificate (serverAuth, and clientAuth for its
 * certificate logins to A and B; SANs for its hosts plus localhost and 127.0.0.1) and one certificate per agent
 * (CN {@code agent-<id>}; clientAuth for the link and B's certificate login to A, serverAuth with the agent's hosts as
 * SANs, {@code --agent ID=HOST[,HOST]}, for the PostgreSQL it serves TLS with: sslmode verify-full checks them). Files in
 * DIR: {@code ca.pem ca.key controller.pem controller.key agent-<id>.pem agent-<id>.key}; keys are PKCS#8 PEM, 0600.
 * Operators get client certificates too (clientAuth; CN {@code operator-<name>}): the controller's HTTP API takes them.
 */
public final class CertificateAuthority {
  public static final String CONTROLLER_NAME = "controller";
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9a-fA-F:]+");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final Duration caValidity;
  private final Duration leafValidity;

  public CertificateAuthority(Path dir, Duration caValidity, Duration leafValidity) {
    this.dir = dir;
    this.caValidity = caValidity;
    this.leafValidity = leafValidity;
  }

  /** What {@link #init} wrote, and what it left as it was (certificates already in DIR). */
  public record Issued(List<Path> files, List<Path> kept) {}

  public Issued init(List<String> controllerHosts, List<String> agents, boolean force) {
    return init(controllerHosts, agents, List.of(), force);
  }

  /**
   * Without {@code force}, a DIR that already holds the CA keeps it: only the certificates not there yet are issued
   * (so running it again with another {@code --operator} or {@code --agent} adds that one and changes nothing else).
   */
  public Issued init(List<String> controllerHosts, List<String> agents, List<String> operators, boolean force) {
    for (String host : controllerHosts) {
      if (!HOST.matcher(host).matches()) {
        throw new UsageException("--controller-host '" + host + "' is not a host name or IP address");
      }
    }
    List<AgentSpec> agentSpecs = agents.stream().map(AgentSpec::parse).toList();
    for (String operator : operators) {
      if (!OperatorIdentity.validName(operator)) {
        throw new UsageException("--operator '" + operator + "' is not a valid name: use lower-case letters, digits and '-'");
      }
    }
    boolean hasCa = Files.exists(dir.resolve("ca.pem")) || Files.exists(dir.resolve("ca.key"));
    if (hasCa && !force && !(Files.exists(dir.resolve("ca.pem")) && Files.exists(dir.resolve("ca.key")))) {
      throw new UsageException(dir + " holds only one of ca.pem and ca.key; restore the other, or pass --force to make a new CA "
          + "(every controller, agent and operator certificate must then be replaced too)");
    }
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UsageException(dir + " is not a directory");
    }
    try {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      List<Path> written = new ArrayList<>();
      List<Path> kept = new ArrayList<>();
      X500Name caName = new X500Name("CN=pgferry CA");
      KeyPair caKeys;
      X509Certificate ca;
      if (hasCa && !force) {
        ca = PemFiles.certificate(dir.resolve("ca.pem"));
        caKeys = new KeyPair(ca.getPublicKey(), PemFiles.privateKey(dir.resolve("ca.key")));
        caName = X500Name.getInstance(ca.getSubjectX500Principal().getEncoded());
        kept.add(dir.resolve("ca.pem"));
      } else {
        caKeys = newKeyPair();
        ca = caCertificate(caName, caKeys);
        written.addAll(write("ca", ca, caKeys));
      }
      boolean fresh = written.size() > 0;

      LinkedHashSet<String> sans = new LinkedHashSet<>(controllerHosts);
      sans.add("localhost");
      sans.add("127.0.0.1");
      List<Leaf> leaves = new ArrayList<>();
      leaves.add(new Leaf(CONTROLLER_NAME, List.of(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth), List.copyOf(sans)));
      new LinkedHashSet<>(agentSpecs).forEach(a -> leaves.add(new Leaf(AgentIdentity.commonNameFor(a.id()),
          a.hosts().isEmpty() ? List.of(KeyPurposeId.id_kp_clientAuth) : List.of(KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth),
          a.hosts())));
      new LinkedHashSet<>(operators).forEach(o -> leaves.add(new Leaf(OperatorIdentity.commonNameFor(o), List.of(KeyPurposeId.id_kp_clientAuth), List.of())));
      for (Leaf leaf : leaves) {
        Path pem = dir.resolve(leaf.commonName() + ".pem");
        if (!fresh && Files.exists(pem)) {
          kept.add(pem);
          continue;
        }
        KeyPair keys = newKeyPair();
        written.addAll(write(leaf.commonName(), leaf(caName, caKeys, ca, leaf.commonName(), keys, leaf.purposes(), leaf.sans()), keys));
      }
      return new Issued(written, kept);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write certificates in " + dir + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create certificates: " + e.getMessage(), e);
    }
  }

  private record Leaf(String commonName, List<KeyPurposeId> purposes, List<String> sans) {}

  /** {@code --agent ID} or {@code --agent ID=HOST[,HOST...]}: the hosts its PostgreSQL is reached by (SANs). */
  record AgentSpec(String id, List<String> hosts) {
    static AgentSpec parse(String spec) {
      int eq = spec.indexOf('=');
      String id = eq < 0 ? spec : spec.substring(0, eq);
      if (!AgentIdentity.validNodeId(id)) {
        throw new UsageException("--agent '" + id + "' is not a valid node id: use lower-case letters, digits and '-'");
      }
      List<String> hosts = eq < 0 ? List.of() : List.of(spec.substring(eq + 1).split(","));
      for (String host : hosts) {
        if (!HOST.matcher(host).matches()) {
          throw new UsageException("--agent " + spec + ": '" + host + "' is not a host name or IP address");
        }
      }
      return new AgentSpec(id, hosts);
    }
  }

  private X509Certificate caCertificate(X500Name name, KeyPair keys) throws GeneralSecurityException, OperatorCreationException, IOException {
    Instant now = Instant.now();
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minusSeconds(300)),
        Date.from(now.plus(caValidity)), name, keys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
        .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
    return sign(builder, keys);
  }

  private X509Certificate leaf(X500Name issuer, KeyPair caKeys, X509Certificate ca, String commonName, KeyPair keys,
                               List<KeyPurposeId> purposes, List<String> sans) throws GeneralSecurityException, OperatorCreationException, IOException {
    Instant now = Instant.now();
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, serial(), Date.from(now.minusSeconds(300)),
        Date.from(now.plus(leafValidity)), new X500Name("CN=" + commonName), keys.getPublic())
        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
        .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
        .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)))
        .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()))
        .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
    if (!sans.isEmpty()) {
      GeneralName[] names = sans.stream()
          .map(h -> IPV4.matcher(h).matches() || h.contains(":") ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h))
          .toArray(GeneralName[]::new);
      builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
    }
    return sign(builder, caKeys);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer) throws GeneralSecurityException, OperatorCreationException {
    ContentSigner contentSigner = new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
  }

  private List<Path> write(String name, X509Certificate certificate, KeyPair keys) throws IOException {
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + ".key");
    AtomicFiles.write(key, pem(new JcaPKCS8Generator(keys.getPrivate(), null)), AtomicFiles.OWNER_ONLY);
    AtomicFiles.write(cert, pem(certificate), PosixFilePermissions.fromString("rw-r--r--"));
    return List.of(cert, key);
  }

  private static byte[] pem(Object object) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    }
    return text.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }
}
