package io.pgferry.controller.plan;

import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.common.NodeIds;
import io.pgferry.common.UsageException;
import io.pgferry.controller.link.AgentIdentity;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Reads plan.yaml and checks it completely: structure (unknown keys, missing keys, wrong types) and meaning (URLs,
 * node ids, the switch block for the chosen type, limits), reporting every problem with its line at once.
 */
public final class PlanLoader {
  /** libpq's sslmode values (controller.pg.LinkTls applies them). */
  public static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");
  private static final Pattern CONFIG_VAR = Pattern.compile("[A-Z_][A-Z0-9_]*");
  private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?");

  /** A plan that has no errors (it may have warnings). */
  public record Loaded(Plan plan, String text, List<PlanProblem> warnings) {}

  private PlanLoader() {}

  public static Loaded load(Path file) {
    return load(file, null);
  }

  /** @param knownNodes node ids the controller knows, to check the plan's node ids against; null to skip */
  public static Loaded load(Path file, Set<String> knownNodes) {
    return parse(file.getFileName().toString(), read(file), knownNodes);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new UsageException(file + ": no such file; give the plan with --plan FILE");
    } catch (IOException e) {
      throw new UsageException(file + ": cannot read: " + e.getMessage());
    }
  }

  public static Loaded parse(String fileName, String text, Set<String> knownNodes) {
    return parse(fileName, text, knownNodes, null);
  }

  /** @param controllerLease the lease_ms of the controller that will run the plan, to check failover.max_lease; null to skip */
  public static Loaded parse(String fileName, String text, Set<String> knownNodes, Duration controllerLease) {
    return parse(fileName, text, knownNodes, controllerLease, false);
  }

  /**
   * As {@link #load(Path)}, and the plan must be complete ({@link PlanCompleteness}): what `pgferry plan` and
   * `pgferry init` hold a plan to, while `apply` also takes a plan that stops after cutover 1.
   */
  public static Loaded loadComplete(Path file) {
    return parse(file.getFileName().toString(), read(file), null, null, true);
  }

  /** As {@link #loadComplete(Path)} on a plan's text. */
  public static Loaded parseComplete(String fileName, String text) {
    return parse(fileName, text, null, null, true);
  }

  private static Loaded parse(String fileName, String text, Set<String> knownNodes, Duration controllerLease,
                              boolean complete) {
    List<PlanProblem> problems = new ArrayList<>();
    Plan plan = null;
    try {
      Node root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
      if (root == null) {
        problems.add(new PlanProblem(PlanProblem.Severity.ERROR, 1, 1, "", "the plan is empty"));
      } else {
        YamlBinder binder = new YamlBinder();
        plan = binder.bindRoot(root, Plan.class);
        if (plan != null) {
          new Semantics(binder, plan, knownNodes, controllerLease).check();
          if (complete) {
            new PlanCompleteness(binder, plan).check();
          }
        }
        problems.addAll(binder.problems());
      }
    } catch (MarkedYAMLException e) {
      var mark = e.getProblemMark();
      problems.add(new PlanProblem(PlanProblem.Severity.ERROR, mark == null ? 0 : mark.getLine() + 1,
          mark == null ? 0 : mark.getColumn() + 1, "", "not valid YAML: " + e.getProblem()));
    } catch (YAMLException e) {
      problems.add(new PlanProblem(PlanProblem.Severity.ERROR, 0, 0, "", "not valid YAML: " + e.getMessage()));
    }
    problems.sort(Comparator.comparing((PlanProblem p) -> p.severity()).thenComparingInt(PlanProblem::line));
    if (problems.stream().anyMatch(PlanProblem::isError)) {
      throw new PlanException(fileName, problems);
    }
    return new Loaded(plan, text, List.copyOf(problems));
  }

  /** The checks of meaning, run after binding; each reports at the line of the value it is about. */
  private record Semantics(YamlBinder b, Plan plan, Set<String> knownNodes, Duration controllerLease) {
    void check() {
      checkSource();
      checkArchive();
      checkNodes();
      if (plan.target() != null) {
        checkDatabaseUrl("target.url", plan.target().url());
      }
      checkSwitch();
      checkThresholds();
      new PlanChecks(b, plan, controllerLease).check();
      checkTls();
      for (int i = 0; i < plan.replicaIdentityFull().size(); i++) {
        String t = plan.replicaIdentityFull().get(i);
        if (t == null || !TABLE.matcher(t).matches()) {
          b.error("replica_identity_full[" + i + "]", "'" + t + "' is not a table name; write table or schema.table");
        }
      }
    }

    private void checkSource() {
      Plan.Source s = plan.source();
      if (s == null) {
        return;
      }
      if (s.reachable()) {
        checkDatabaseUrl("source.url", s.url());
      } else {
        b.warning("source", "no source.url: pgferry cannot fence the source database or read its final WAL position;"
            + " cutover 1 then waits out archive_timeout and relies on the app switch alone to stop writes");
      }
      if (s.pgMajor() != null && (s.pgMajor() < 10 || s.pgMajor() > 30)) {
        b.error("source.pg_major", s.pgMajor() + " is not a PostgreSQL major version pgferry supports (11 and later)");
      }
      if (s.archiveTimeout().isZero()) {
        b.error("source.archive_timeout", "must be more than 0: it bounds how long the last WAL segment takes to ship");
      }
    }

    private void checkArchive() {
      if (plan.archive() == null || plan.archive().url() == null) {
        return;
      }
      try {
        ArchiveLocation.parse(plan.archive().url(), null); // the agent's grammar: what passes here, the agent opens
      } catch (UsageException e) {
        b.error("archive.url", e.getMessage());
      }
    }

    private void checkNodes() {
      Plan.Nodes n = plan.nodes();
      if (n == null) {
        return;
      }
      checkNodeId("nodes.archive_replica", n.archiveReplica());
      checkNodeId("nodes.standby", n.standby());
      if (n.archiveReplica() != null && n.archiveReplica().equals(n.standby())) {
        b.error("nodes.standby", "must be another node than nodes.archive_replica ('" + n.standby() + "')");
      }
    }

    private void checkNodeId(String path, String id) {
      if (id == null) {
        return;
      }
      if (!AgentIdentity.validNodeId(id)) {
        b.error(path, "'" + id + "' is not a node id (" + NodeIds.RULE + ";"
            + " the agent's certificate CN is agent-<node id>)");
      } else if (knownNodes != null && !knownNodes.contains(id)) {
        b.error(path, "unknown node id '" + id + "' (the controller knows: "
            + (knownNodes.isEmpty() ? "no node yet" : String.join(", ", knownNodes.stream().sorted().toList()))
            + "); start that node's agent or fix the id");
      }
    }

    private void checkDatabaseUrl(String path, String url) {
      if (url == null || url.startsWith("env:") || url.startsWith("file:")) {
        return;
      }
      if (url.contains("=") && !url.contains("://")) {
        return; // libpq key=value conninfo
      }
      try {
        URI uri = new URI(url);
        if (!"postgres".equals(uri.getScheme()) && !"postgresql".equals(uri.getScheme())) {
          b.error(path, "expected postgres://user@host:port/dbname (or env:NAME / file:PATH), found another scheme");
        } else if (uri.getHost() == null) {
          b.error(path, "the URL names no host; write postgres://user@host:port/dbname");
        }
      } catch (URISyntaxException e) {
        b.error(path, "not a URL (" + e.getReason() + "); write postgres://user@host:port/dbname");
      }
    }

    private void checkSwitch() {
      Plan.Switch s = plan.switchSpec();
      if (s == null || s.type() == null) {
        return;
      }
      String wanted = s.type().name().toLowerCase();
      boolean present = switch (s.type()) {
        case HEROKU -> s.heroku() != null;
        case PGBOUNCER -> s.pgbouncer() != null;
        case COMMAND -> s.command() != null;
      };
      if (!present) {
        b.error("switch", "type is " + wanted + " but there is no switch." + wanted + " block with its settings");
      }
      for (var other : List.of("heroku", "pgbouncer", "command")) {
        boolean given = switch (other) {
          case "heroku" -> s.heroku() != null;
          case "pgbouncer" -> s.pgbouncer() != null;
          default -> s.command() != null;
        };
        if (given && !other.equals(wanted)) {
          b.warning("switch." + other, "ignored: switch.type is " + wanted);
        }
      }
      if (s.heroku() != null) {
        Plan.Heroku h = s.heroku();
        if (h.configVar() != null && !CONFIG_VAR.matcher(h.configVar()).matches()) {
          b.error("switch.heroku.config_var", "'" + h.configVar() + "' is not a config var name (A-Z, 0-9, _)");
        }
        try {
          URI api = new URI(h.apiUrl());
          if (!"https".equals(api.getScheme()) && !"http".equals(api.getScheme()) || api.getHost() == null) {
            b.error("switch.heroku.api_url", "'" + h.apiUrl() + "' is not an http(s) URL");
          }
        } catch (URISyntaxException e) {
          b.error("switch.heroku.api_url", "'" + h.apiUrl() + "' is not a URL: " + e.getReason());
        }
      }
      if (s.pgbouncer() != null) {
        Plan.Pgbouncer p = s.pgbouncer();
        if (p.adminPort() < 1 || p.adminPort() > 65535) {
          b.error("switch.pgbouncer.admin_port", p.adminPort() + " is not a TCP port");
        }
        if (p.iniPath() != null && !p.iniPath().startsWith("/")) {
          b.error("switch.pgbouncer.ini_path", "'" + p.iniPath() + "' must be an absolute path");
        }
        if (p.pauseTimeout().isZero()) {
          b.error("switch.pgbouncer.pause_timeout", "must be more than 0");
        }
      }
    }

    /** sslmode keys name a libpq mode; a CA file the controller reads exists; the hosts admitted to A/B are narrow. */
    private void checkTls() {
      if (plan.source() != null) {
        checkSsl("source", plan.source().sslmode(), plan.source().sslrootcert(), true);
      }
      if (plan.target() != null) {
        checkSsl("target", plan.target().sslmode(), plan.target().sslrootcert(), true);
      }
      checkSsl("logical", plan.logical().sslmode(), plan.logical().sslrootcert(), false); // its CA is on T's host
      Plan.Nodes n = plan.nodes();
      if (n == null) {
        return;
      }
      checkSsl("nodes", n.sslmode(), n.sslrootcert(), true);
      if (!n.controllerAddress().isEmpty()) {
        checkHost("nodes.controller_address", n.controllerAddress());
      }
      for (int i = 0; i < n.appAddresses().size(); i++) {
        checkHost("nodes.app_addresses[" + i + "]", n.appAddresses().get(i));
      }
    }

    private void checkSsl(String block, String mode, String rootCert, boolean readHere) {
      if (mode != null && !SSL_MODES.contains(mode)) {
        b.error(block + ".sslmode", "'" + mode + "' is not an sslmode; use require, verify-ca or verify-full");
      }
      if (mode != null && mode.startsWith("verify") && rootCert == null) {
        b.error(block + ".sslrootcert", "is missing: sslmode " + mode + " checks the server against this CA file");
      }
      if (readHere && rootCert != null && !Files.isReadable(Path.of(rootCert))) {
        b.error(block + ".sslrootcert", rootCert + " is not a readable file");
      }
    }

    /** One host, or a CIDR no wider than /16 (IPv4) or /48 (IPv6): never the whole network. */
    private void checkHost(String path, String address) {
      int slash = address.indexOf('/');
      if (slash < 0) {
        return;
      }
      try {
        int bits = Integer.parseInt(address.substring(slash + 1));
        int narrowest = address.contains(":") ? 48 : 16;
        if (bits < narrowest) {
          b.error(path, "'" + address + "' admits more than a /" + narrowest + "; name the hosts (one address each)");
        }
      } catch (NumberFormatException e) {
        b.error(path, "'" + address + "' is not an address or CIDR");
      }
    }

    private void checkThresholds() {
      Plan.Thresholds t = plan.thresholds();
      if (t.maxLagBytes() < 0) {
        b.error("thresholds.max_lag_bytes", "must be 0 or more");
      }
      if (t.archiveLagSegments() < 0) {
        b.error("thresholds.archive_lag_segments", "must be 0 or more");
      }
      if (t.diskMarginPercent() < 0) {
        b.error("thresholds.disk_margin_percent", "must be 0 or more");
      }
      if (t.pollInterval().isZero()) {
        b.error("thresholds.poll_interval", "must be more than 0");
      }
      Duration cutover = t.timeouts().cutover1();
      if (plan.source() != null && cutover.compareTo(plan.source().archiveTimeout()) <= 0) {
        b.error("thresholds.timeouts.cutover_1", Durations.format(cutover) + " is not longer than source.archive_timeout ("
            + Durations.format(plan.source().archiveTimeout()) + "): the last WAL segment could not arrive in time");
      }
    }
  }
}
