package io.pgferry.controller.pg;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How each PostgreSQL link of a plan uses TLS: the sslmode (and CA file for verify-ca/verify-full) of pgferry's
 * sessions to the source, A/B and T, of B's stream from A, and of the subscriptions between T and A/B. A link
 * whose plan key is not set takes verify-full when a CA file is given, require otherwise (A and B always serve TLS;
 * Aurora and RDS expect it); the source keeps its URL's sslmode, else libpq's prefer (TLS when the server offers it).
 * {@link #lines} is what `pgferry plan` prints about it.
 */
public final class LinkTls {
  public static final Set<String> MODES = PlanLoader.SSL_MODES;

  /**
   * One link's choice; {@code rootCert} may be empty; {@code why} says where the mode came from; {@code explicit}: a
   * plan key set it (else an sslmode in the URL itself wins).
   */
  public record Choice(String mode, String rootCert, String why, boolean explicit) {
    /** libpq/JDBC keywords (sslmode, sslrootcert) for the endpoint; empty mode: none (the URL's own or libpq's default). */
    public Map<String, String> params() {
      Map<String, String> p = new LinkedHashMap<>();
      if (!mode.isEmpty()) {
        p.put("sslmode", mode);
      }
      if (!rootCert.isEmpty()) {
        p.put("sslrootcert", rootCert);
      }
      return p;
    }

    public String describe() {
      return (mode.isEmpty() ? "prefer" : mode) + (rootCert.isEmpty() ? "" : " (CA " + rootCert + ")") + ": " + why;
    }
  }

  private LinkTls() {}

  /**
   * {@code e} with the choice's sslmode and CA file in place of its own (a URL's own sslmode stays unless a plan key
   * chose); no stray sslrootcert is kept, since with one libpq's require already checks the CA.
   */
  public static PgEndpoint apply(PgEndpoint e, Choice c) {
    if (!c.explicit() && e.params().containsKey("sslmode")) {
      return e;
    }
    Map<String, String> p = new LinkedHashMap<>(e.params());
    p.remove("sslmode");
    p.remove("sslrootcert");
    p.putAll(c.params());
    return new PgEndpoint(e.host(), e.port(), e.database(), e.user(), e.password(), p, e.limits());
  }

  public static Choice source(Plan plan) {
    Plan.Source s = plan.source();
    if (s.sslmode() != null) {
      return new Choice(s.sslmode(), nz(s.sslrootcert()), "source.sslmode", true);
    }
    if (s.sslrootcert() != null) {
      return new Choice("verify-full", s.sslrootcert(), "source.sslrootcert is given", true);
    }
    return new Choice("", "", "the URL's sslmode, else libpq's prefer; set source.sslmode: require (Heroku serves TLS)", false);
  }

  public static Choice target(Plan plan) {
    return chosen(plan.target().sslmode(), plan.target().sslrootcert(), "target");
  }

  /** The controller's sessions to A and B, and B's stream from A (B verifies A with its agent's CA file). */
  public static Choice nodes(Plan plan) {
    return chosen(plan.nodes().sslmode(), plan.nodes().sslrootcert(), "nodes");
  }

  /** T's subscription to A (B after a failover) and A's reverse subscription to T; the CA file is on the subscriber. */
  public static Choice subscription(Plan plan) {
    return chosen(plan.logical().sslmode(), plan.logical().sslrootcert(), "logical");
  }

  private static Choice chosen(String mode, String rootCert, String key) {
    if (mode != null) {
      return new Choice(mode, nz(rootCert), key + ".sslmode", true);
    }
    return rootCert != null
        ? new Choice("verify-full", rootCert, "default with " + key + ".sslrootcert", true)
        : new Choice("require", "", "default without " + key + ".sslrootcert (encrypted, the server's certificate unchecked)", false);
  }

  /** What `pgferry plan` says about TLS on every link. */
  public static List<String> lines(Plan plan) {
    return List.of(
        "controller -> source: sslmode " + source(plan).describe(),
        "controller -> A, B; B -> A (primary_conninfo): sslmode " + nodes(plan).describe(),
        "controller -> T: sslmode " + target(plan).describe(),
        "T -> A/B (subscription), A -> T (reverse): sslmode " + subscription(plan).describe(),
        "A and B serve TLS (ssl = on) with agent.yaml postgres.tls, else the agent's link certificates; their pg_hba"
            + " admits other hosts only with hostssl entries for B, T, the controller and the app hosts");
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
