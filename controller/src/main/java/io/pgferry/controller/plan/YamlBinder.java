package io.pgferry.controller.plan;

import io.pgferry.common.Secrets;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Binds a composed YAML node tree to records, reporting every problem with its line instead of stopping at the
 * first (Jackson, and so {@code StrictYaml}, stop at the first). Keys are the snake_case of record component names.
 * Also remembers where each path was written, for the semantic checks that follow.
 */
final class YamlBinder {
  private final List<PlanProblem> problems = new ArrayList<>();
  private final Map<String, Mark> marks = new HashMap<>();

  List<PlanProblem> problems() {
    return problems;
  }

  /** Where {@code path} (e.g. {@code nodes.standby}) was written; its nearest written parent when absent. */
  Mark markOf(String path) {
    String p = path;
    while (true) {
      Mark m = marks.get(p);
      if (m != null || p.isEmpty()) {
        return m;
      }
      int dot = p.lastIndexOf('.');
      p = dot < 0 ? "" : p.substring(0, dot);
    }
  }

  /** Whether {@code path} itself was written in the file (not only a parent of it). */
  boolean written(String path) {
    return marks.containsKey(path);
  }

  void error(String path, String message) {
    add(PlanProblem.Severity.ERROR, path, message);
  }

  void warning(String path, String message) {
    add(PlanProblem.Severity.WARNING, path, message);
  }

  private void add(PlanProblem.Severity severity, String path, String message) {
    Mark m = markOf(path);
    problems.add(new PlanProblem(severity, m == null ? 0 : m.getLine() + 1, m == null ? 0 : m.getColumn() + 1,
        path, message));
  }

  <T> T bindRoot(Node root, Class<T> type) {
    marks.put("", root.getStartMark());
    return type.cast(bind(root, type, "", false));
  }

  private Object bind(Node node, Type type, String path, boolean secret) {
    marks.put(path, node.getStartMark());
    if (node instanceof ScalarNode s && s.getTag().equals(Tag.NULL)) {
      return null;
    }
    Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
    if (raw.isRecord()) {
      return bindRecord(node, raw, path);
    }
    if (raw == List.class) {
      if (!(node instanceof SequenceNode seq)) {
        error(path, "expected a list");
        return null;
      }
      Type element = ((ParameterizedType) type).getActualTypeArguments()[0];
      List<Object> out = new ArrayList<>();
      for (int i = 0; i < seq.getValue().size(); i++) {
        out.add(bind(seq.getValue().get(i), element, path + "[" + i + "]", false));
      }
      return out;
    }
    if (!(node instanceof ScalarNode scalar)) {
      error(path, "expected a single value, found a " + (node instanceof MappingNode ? "mapping" : "list"));
      return null;
    }
    return bindScalar(scalar.getValue(), raw, path, secret);
  }

  private Object bindScalar(String text, Class<?> raw, String path, boolean secret) {
    try {
      if (raw == String.class) {
        if (secret) {
          checkSecretReference(text, path);
        }
        return text;
      }
      if (raw == Integer.class || raw == int.class) {
        return Integer.parseInt(text.trim());
      }
      if (raw == Long.class || raw == long.class) {
        return Long.parseLong(text.trim());
      }
      if (raw == Boolean.class || raw == boolean.class) {
        if (!text.equals("true") && !text.equals("false")) {
          throw new IllegalArgumentException("expected true or false, found '" + text + "'");
        }
        return Boolean.parseBoolean(text);
      }
      if (raw == Duration.class) {
        return Durations.parse(text);
      }
      if (raw.isEnum()) {
        for (Object constant : raw.getEnumConstants()) {
          if (((Enum<?>) constant).name().equalsIgnoreCase(text.trim())) {
            return constant;
          }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of " + Arrays.stream(raw.getEnumConstants())
            .map(c -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
      }
    } catch (NumberFormatException e) {
      error(path, text.trim().matches("[-+]?\\d+")
          ? "'" + text.trim() + "' is out of range (at most " + (raw == Long.class || raw == long.class ? Long.MAX_VALUE : Integer.MAX_VALUE) + ")"
          : "expected a whole number, found '" + text + "'");
      return null;
    } catch (IllegalArgumentException e) {
      error(path, e.getMessage());
      return null;
    }
    throw new IllegalStateException("no YAML binding for " + raw);
  }

  private void checkSecretReference(String text, String path) {
    if (text.startsWith("env:") || text.startsWith("file:")) {
      return;
    }
    boolean url = path.endsWith("url");
    if (!url || !Secrets.redact(text).equals(text)) {
      warning(path, "secret given inline; plans get shared and copied, so give it as env:NAME or file:PATH");
    }
  }

  private Object bindRecord(Node node, Class<?> type, String path) {
    if (!(node instanceof MappingNode map)) {
      error(path, "expected a mapping (key: value lines)");
      return null;
    }
    RecordComponent[] components = type.getRecordComponents();
    Map<String, RecordComponent> byKey = new LinkedHashMap<>();
    for (RecordComponent c : components) {
      byKey.put(yamlKey(c), c);
    }
    Map<String, Node> given = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (NodeTuple tuple : map.getValue()) {
      String key = tuple.getKeyNode() instanceof ScalarNode k ? k.getValue() : "?";
      String keyPath = join(path, key);
      marks.put(keyPath, tuple.getKeyNode().getStartMark());
      if (!seen.add(key)) {
        error(keyPath, "duplicate key '" + key + "'");
      } else if (!byKey.containsKey(key)) {
        error(keyPath, "unknown key '" + key + "' (known keys here: " + String.join(", ", byKey.keySet()) + ")");
      } else {
        given.put(key, tuple.getValueNode());
      }
    }
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      String key = yamlKey(c);
      Node value = given.get(key);
      boolean required = c.isAnnotationPresent(Required.class);
      if (value == null || (value instanceof ScalarNode s && s.getTag().equals(Tag.NULL))) {
        if (required) {
          error(path, "missing key '" + key + "'");
        }
        args[i] = c.getType().isPrimitive() ? defaultPrimitive(c.getType()) : null;
        continue;
      }
      args[i] = bind(value, c.getGenericType(), join(path, key), c.isAnnotationPresent(Secret.class));
    }
    try {
      Constructor<?> ctor = type.getDeclaredConstructor(
          Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
      return ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      String why = e.getCause().getMessage();
      error(path, why == null || why.isBlank() ? "not a valid " + yamlKeyOf(path) + " block" : why);
      return null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e);
    }
  }

  private static String yamlKeyOf(String path) {
    return path.isEmpty() ? "plan" : path.substring(path.lastIndexOf('.') + 1);
  }

  private static Object defaultPrimitive(Class<?> type) {
    return type == boolean.class ? false : type == long.class ? 0L : 0;
  }

  static String yamlKey(RecordComponent c) {
    Key key = c.getAnnotation(Key.class);
    return key != null ? key.value() : snake(c.getName());
  }

  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
