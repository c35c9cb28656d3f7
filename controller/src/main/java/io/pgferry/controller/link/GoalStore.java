package io.pgferry.controller.link;

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
 */
final class GoalStore {
  static final String FILE_NAME = "goals.json";
  private static final int VERSION = 1;

  private final Path file;

  GoalStore(Path stateDir) {
    this.file = stateDir.resolve(FILE_NAME);
  }

  Path file() {
    return file;
  }

  Map<String, Goal> load() {
    Map<String, Goal> goals = new TreeMap<>();
    if (!Files.exists(file)) {
      return goals;
    }
    try {
      JsonObject root = new JsonObject(Files.readString(file));
      if (root.getInteger("version", 0) != VERSION) {
        throw new UsageException(file + ": unsupported version " + root.getValue("version") + " (this controller reads version " + VERSION + ")");
      }
      JsonObject nodes = root.getJsonObject("goals", new JsonObject());
      for (String nodeId : nodes.fieldNames()) {
        Goal.Builder goal = Goal.newBuilder();
        JsonFormat.parser().merge(nodes.getJsonObject(nodeId).encode(), goal);
        goals.put(nodeId, goal.build());
      }
      return goals;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (DecodeException | ClassCastException e) {
      throw new UsageException(file + ": not valid JSON (" + e.getMessage() + "); restore it or move it away to start with no goals");
    }
  }

  void save(Map<String, Goal> goals) {
    JsonObject nodes = new JsonObject();
    goals.forEach((nodeId, goal) -> nodes.put(nodeId, new JsonObject(print(goal))));
    JsonObject root = new JsonObject().put("version", VERSION).put("goals", nodes);
    try {
      AtomicFiles.write(file, (root.encodePrettily() + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static String print(Goal goal) {
    try {
      return JsonFormat.printer().preservingProtoFieldNames().print(goal);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
