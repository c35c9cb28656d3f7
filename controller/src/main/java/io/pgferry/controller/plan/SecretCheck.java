package io.pgferry.controller.plan;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import java.io.StringReader;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * Resolves every secret reference the journey of a plan will use ({@link Secret} values: app password, PgBouncer
 * admin password, Heroku token, source and target URLs, replication and admin passwords, the archive's S3 keys) before
 * anything is touched: `pgferry plan`, `pgferry apply` (in the controller, where they are used) and PREFLIGHT. An unset
 * variable, a missing file, a file group or others may read, or a URL that does not parse is a problem naming the key
 * and the reference, never the value.
 */
public final class SecretCheck {
  /** A secret that cannot be used: the plan key it is written at, and why (naming the reference only). */
  public record Problem(String path, String reason) {
    @Override
    public String toString() {
      return path + ": " + reason;
    }
  }

  /** A secret reference of the plan: its key and its text (env:NAME, file:PATH or, discouraged, the value). */
  public record Reference(String path, String ref) {}

  private SecretCheck() {}

  /** Every secret the journey of {@code plan} resolves; the switch kinds the plan does not use are left out. */
  public static List<Reference> references(Plan plan) {
    List<Reference> out = new ArrayList<>();
    collect(plan, "", out);
    if (plan.archive() != null && plan.archive().s3() != null && isReference(plan.archive().s3().accessKeyId())) {
      out.add(new Reference("archive.s3.access_key_id", plan.archive().s3().accessKeyId()));
    }
    Plan.SwitchType used = plan.switchSpec() == null ? null : plan.switchSpec().type();
    out.removeIf(r -> r.path().startsWith("switch.") && (used == null
        || !r.path().startsWith("switch." + used.name().toLowerCase() + ".")));
    if (!plan.failover().enabled()) {
      out.removeIf(r -> r.path().startsWith("failover."));
    }
    return out;
  }

  /** Resolves each reference (and parses the database URLs); one problem per secret that cannot be used. */
  public static List<Problem> problems(Plan plan) {
    List<Problem> problems = new ArrayList<>();
    for (Reference r : references(plan)) {
      try {
        if (r.path().endsWith(".url")) {
          SecretUrl.parse(r.ref(), r.path());
        } else {
          Secrets.resolve(r.ref(), r.path());
        }
      } catch (UsageException e) {
        String m = Secrets.redact(e.getMessage());
        problems.add(new Problem(r.path(), m.startsWith(r.path() + ": ") ? m.substring(r.path().length() + 2) : m));
      }
    }
    return problems;
  }

  /**
   * For `pgferry plan` and `apply`: throws a {@link PlanException} (exit 2) listing every secret that cannot be
   * used, each at the line and column of its key in the plan text.
   */
  public static void check(PlanLoader.Loaded loaded, String fileName) {
    List<Problem> problems = problems(loaded.plan());
    if (problems.isEmpty()) {
      return;
    }
    Node root = new Yaml(new LoaderOptions()).compose(new StringReader(loaded.text()));
    List<PlanProblem> out = new ArrayList<>();
    for (Problem p : problems) {
      Mark m = markOf(root, p.path());
      out.add(new PlanProblem(PlanProblem.Severity.ERROR, m == null ? 0 : m.getLine() + 1,
          m == null ? 0 : m.getColumn() + 1, p.path(), p.reason()));
    }
    throw new PlanException(fileName, out);
  }

  private static void collect(Record value, String path, List<Reference> out) {
    if (value == null) {
      return;
    }
    for (RecordComponent c : value.getClass().getRecordComponents()) {
      Object v;
      try {
        v = c.getAccessor().invoke(value);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + c.getName(), e);
      }
      String key = (path.isEmpty() ? "" : path + ".") + YamlBinder.yamlKey(c);
      if (v instanceof Record r) {
        collect(r, key, out);
      } else if (v instanceof String s && c.isAnnotationPresent(Secret.class) && !s.isBlank()) {
        out.add(new Reference(key, s));
      }
    }
  }

  private static boolean isReference(String s) {
    return s != null && (s.startsWith("env:") || s.startsWith("file:"));
  }

  /** Where the value of {@code path} (e.g. {@code switch.heroku.token}) is written; null when not found. */
  private static Mark markOf(Node root, String path) {
    Node at = root;
    for (String key : path.split("\\.")) {
      if (!(at instanceof MappingNode map)) {
        return null;
      }
      Node next = null;
      for (NodeTuple t : map.getValue()) {
        if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
          next = t.getValueNode();
        }
      }
      if (next == null) {
        return null;
      }
      at = next;
    }
    return at.getStartMark();
  }
}
