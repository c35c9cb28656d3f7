package io.pgferry.controller.link;

import io.pgferry.common.NodeIds;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who an agent is: its node id, proven by the CN of its client certificate, which must be {@code agent-<node id>}
 * (what {@code pgferry certs init --agent ID} issues).
 */
public final class AgentIdentity {
  public static final Pattern NODE_ID = NodeIds.PATTERN;
  public static final String CN_PREFIX = "agent-";

  private AgentIdentity() {}

  public static String commonNameFor(String nodeId) {
    return CN_PREFIX + nodeId;
  }

  public static boolean validNodeId(String nodeId) {
    return nodeId != null && NODE_ID.matcher(nodeId).matches();
  }

  /** The CN of the leaf certificate, when there is one. */
  public static Optional<String> commonName(List<Certificate> peerChain) {
    if (peerChain == null || peerChain.isEmpty() || !(peerChain.get(0) instanceof X509Certificate leaf)) {
      return Optional.empty();
    }
    try {
      for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return Optional.of(rdn.getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }
}
