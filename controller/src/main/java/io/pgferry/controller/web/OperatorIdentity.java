package io.pgferry.controller.web;

import io.pgferry.controller.link.AgentIdentity;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

/**
 * Who may drive the controller's API with a client certificate: a certificate from pgferry's CA (the TLS handshake
 * checks that) with CN {@code operator-<name>} and extended key usage clientAuth, as
 * {@code pgferry certs init DIR --operator NAME} issues it. An agent's certificate ({@code agent-<id>}) is not one.
 */
public final class OperatorIdentity {
  public static final String CN_PREFIX = "operator-";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private OperatorIdentity() {}

  public static String commonNameFor(String name) {
    return CN_PREFIX + name;
  }

  /** The same rule as node ids: lower-case letters, digits and '-'. */
  public static boolean validName(String name) {
    return AgentIdentity.validNodeId(name);
  }

  /** The CN of an operator's certificate, or empty when {@code leaf} is not one. */
  public static Optional<String> of(X509Certificate leaf) {
    Optional<String> cn = AgentIdentity.commonName(List.of(leaf));
    if (cn.isEmpty() || !cn.get().startsWith(CN_PREFIX) || !clientAuth(leaf)) {
      return Optional.empty();
    }
    return cn;
  }

  private static boolean clientAuth(X509Certificate leaf) {
    try {
      List<String> usages = leaf.getExtendedKeyUsage();
      return usages != null && usages.contains(CLIENT_AUTH);
    } catch (CertificateParsingException e) {
      return false;
    }
  }
}
