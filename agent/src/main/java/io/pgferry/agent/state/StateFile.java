package io.pgferry.agent.state;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.InvalidProtocolBufferException;
import io.pgferry.common.AtomicFiles;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The agent's state file (JSON, written with {@link AtomicFiles}, 0600). Holds a {@link NodeRecord}; the goal is
 * kept as its protobuf bytes (base64) so every field survives, next to a readable summary.
 */
public final class StateFile {
  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .setSerializationInclusion(JsonInclude.Include.NON_NULL)
      .enable(SerializationFeature.INDENT_OUTPUT);

  private final Path path;
  private volatile NodeRecord current; // read lock-free: status() runs on event loops while update() may fsync

  /** On-disk form; {@code version} lets a later agent read (or refuse) an older layout. */
  record Stored(int version, String state, long stateGeneration, String goalSummary, byte[] goal, String transition,
                List<String> completedSteps, boolean restartRequired, long fencedGeneration) {}

  private StateFile(Path path, NodeRecord current) {
    this.path = path;
    this.current = current;
  }

  /** Opens the file at {@code path}; when it does not exist the record starts from {@code inferred}. */
  public static StateFile open(Path path, NodeState inferred) {
    if (!Files.exists(path)) {
      return new StateFile(path, NodeRecord.initial(inferred));
    }
    try {
      Stored s = JSON.readValue(path.toFile(), Stored.class);
      if (s.version() != VERSION) {
        throw new IllegalStateException(path + ": state file version " + s.version() + " is not " + VERSION
            + "; this agent cannot read it (move it away to start afresh)");
      }
      Goal goal = s.goal() == null ? null : Goal.parseFrom(s.goal());
      return new StateFile(path, new NodeRecord(NodeState.valueOf(s.state()), s.stateGeneration(), goal, s.transition(),
          s.completedSteps(), s.restartRequired(), s.fencedGeneration()));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(path + ": the stored goal is corrupt: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot read the state file: " + e.getMessage(), e);
    }
  }

  public Path path() {
    return path;
  }

  public NodeRecord get() {
    return current;
  }

  /** Applies {@code change} and persists the result before returning it (nothing is written when it is unchanged). */
  public synchronized NodeRecord update(UnaryOperator<NodeRecord> change) {
    NodeRecord next = change.apply(current);
    if (!next.equals(current) || !Files.exists(path)) {
      write(next);
      current = next;
    }
    return current;
  }

  private void write(NodeRecord r) {
    Goal g = r.goal();
    String summary = g == null ? null : g.getState() + " generation " + g.getGeneration()
        + (g.hasUpstream() ? " upstream " + g.getUpstream().getHost() + ":" + g.getUpstream().getPort() : "");
    Stored s = new Stored(VERSION, r.state().name(), r.stateGeneration(), summary, g == null ? null : g.toByteArray(),
        r.transition(), r.completedSteps(), r.restartRequired(), r.fencedGeneration());
    try {
      AtomicFiles.write(path, JSON.writeValueAsBytes(s));
    } catch (IOException e) {
      throw new UncheckedIOException(path + ": cannot write the state file: " + e.getMessage(), e);
    }
  }
}
