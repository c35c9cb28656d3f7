package io.pgferry.controller.store;

import io.pgferry.controller.link.GoalRecords;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.pgferry.common.AtomicFiles;
import io.pgferry.common.UsageException;
import io.pgferry.proto.Goal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * The goals the controller assigned, one per node, in {@code state_dir/goals.json} (0600, written atomically), so a
 * restarted controller sends the same goals again. Blocking: call from worker threads or before the event loops run.
 * The embedded store's {@link GoalRecords}; the etcd store keeps the same JSON under one key.
 */
public final class GoalStore implements GoalRecords {
  public static final String FILE_NAME = "goals.json";
  private static final int VERSION = 1;

  private final Path file;

  public GoalStore(Path stateDir) {
    this.file = stateDir.resolve(FILE_NAME);
  }

  public Path file() {
    return file;
  }

  @Override
  public Map<String, Goal> load() {
    if (!Files.exists(file)) {
      return new TreeMap<>();
    }
    try {
      return decode(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The goals of a goals.json text; {@code where} names it in errors. */
  static Map<String, Goal> decode(String text, String where) {
    Map<String, Goal> goals = new TreeMap<>();
    try {
      JsonObject root = new JsonObject(text);
      if (root.getInteger("version", 0) != VERSION) {
        throw new UsageException(where + ": unsupported version " + root.getValue("version") + " (this controller reads version " + VERSION + ")");
      }
      JsonObject nodes = root.getJsonObject("goals", new JsonObject());
      for (String nodeId : nodes.fieldNames()) {
        Goal.Builder goal = Goal.newBuilder();
        JsonFormat.parser().merge(nodes.getJsonObject(nodeId).encode(), goal);
        goals.put(nodeId, goal.build());
      }
      return goals;
    } catch (InvalidProtocolBufferException e) {
      throw new UncheckedIOException("cannot read " + where + ": " + e.getMessage(), e);
    } catch (DecodeException | ClassCastException e) {
      throw new UsageException(where + ": not valid JSON (" + e.getMessage() + "); restore it or move it away to start with no goals");
    }
  }

  @Override
  public void save(Map<String, Goal> goals) {
    try {
      AtomicFiles.write(file, encode(goals).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** The goals.json text of these goals. */
  static String encode(Map<String, Goal> goals) {
    JsonObject nodes = new JsonObject();
    goals.forEach((nodeId, goal) -> nodes.put(nodeId, new JsonObject(print(goal))));
    JsonObject root = new JsonObject().put("version", VERSION).put("goals", nodes);
    return root.encodePrettily() + "\n";
  }

  private static String print(Goal goal) {
    try {
      return JsonFormat.printer().preservingProtoFieldNames().print(goal);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
