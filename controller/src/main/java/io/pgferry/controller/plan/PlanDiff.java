package io.pgferry.controller.plan;

import io.pgferry.common.Secrets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The keys two plan texts set differently, as dotted paths of leaves ({@code logical.target_address}); a list is one
 * leaf. A key written as null counts as absent. For `pgferry apply --amend`.
 */
public record PlanDiff(List<Change> changes) {
  public record Change(String key, String before, String after) {
    /** {@code + key: value}, {@code - key: value} or {@code ~ key: before -> after}; secrets' values are not shown. */
    public String line() {
      if (before == null) {
        return "+ " + key + ": " + shown(after);
      }
      if (after == null) {
        return "- " + key + ": " + shown(before);
      }
      return "~ " + key + ": " + shown(before) + " -> " + shown(after);
    }

    private String shown(String value) {
      String k = key.toLowerCase();
      if ((k.contains("password") || k.contains("token") || k.contains("secret"))
          && !value.startsWith("env:") && !value.startsWith("file:")) {
        return "(a value, not shown)";
      }
      return Secrets.redact(value);
    }
  }

  public static PlanDiff between(String before, String after) {
    Map<String, String> a = leaves(before);
    Map<String, String> b = leaves(after);
    List<Change> out = new ArrayList<>();
    for (String key : new TreeSet<>(union(a, b))) {
      if (!Objects.equals(a.get(key), b.get(key))) {
        out.add(new Change(key, a.get(key), b.get(key)));
      }
    }
    return new PlanDiff(List.copyOf(out));
  }

  public boolean isEmpty() {
    return changes.isEmpty();
  }

  public List<String> keys() {
    return changes.stream().map(Change::key).toList();
  }

  private static Set<String> union(Map<String, String> a, Map<String, String> b) {
    Set<String> s = new HashSet<>(a.keySet());
    s.addAll(b.keySet());
    return s;
  }

  private static Map<String, String> leaves(String text) {
    Object root = new Yaml(new LoaderOptions()).load(text);
    Map<String, String> out = new TreeMap<>();
    flatten("", root, out);
    return out;
  }

  private static void flatten(String path, Object node, Map<String, String> out) {
    if (node == null) {
      return;
    }
    if (node instanceof Map<?, ?> m) {
      m.forEach((k, v) -> flatten(path.isEmpty() ? String.valueOf(k) : path + "." + k, v, out));
    } else {
      out.put(path, String.valueOf(node));
    }
  }
}
