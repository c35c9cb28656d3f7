package io.pgferry.agent.config;

import io.pgferry.common.StrictYaml;
import io.pgferry.common.UsageException;
import io.pgferry.proto.BaseBackupMethod;
import io.pgferry.proto.Goal;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A goal given as a YAML/JSON file (`pgferry-agent run --goal-file`), for running without a controller:
 * <pre>
 * state: STREAMING_STANDBY
 * generation: 2            # optional; default: the file's modification time in ms (so an edit is a newer goal)
 * upstream: {host: 10.0.0.5, port: 5432, user: replicator}
 * </pre>
 */
public record GoalFile(String state, Long generation, UpstreamSpec upstream, String baseBackupMethod,
                       Map<String, String> settings) {

  public record UpstreamSpec(String host, Integer port, String user, String dbname, String slotName, String passwordFile,
                             String applicationName) {}

  public static Goal load(Path file) {
    GoalFile g = StrictYaml.load(file, GoalFile.class);
    long generation;
    try {
      generation = g.generation() != null ? g.generation() : Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      throw new UsageException(file + ": cannot read: " + e.getMessage());
    }
    return g.toGoal(file.toString(), generation);
  }

  Goal toGoal(String where, long generation) {
    NodeState s;
    try {
      s = NodeState.valueOf(state == null ? "" : state.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException(where + ": state '" + state + "' is not one of STREAMING_STANDBY, PRIMARY, STOPPED, FENCED, ARCHIVE_REPLICA");
    }
    Goal.Builder b = Goal.newBuilder().setState(s).setGeneration(generation);
    if (upstream != null) {
      if (upstream.host() == null || upstream.port() == null) {
        throw new UsageException(where + ": upstream needs host and port");
      }
      Upstream.Builder u = Upstream.newBuilder().setHost(upstream.host()).setPort(upstream.port());
      if (upstream.user() != null) u.setUser(upstream.user());
      if (upstream.dbname() != null) u.setDbname(upstream.dbname());
      if (upstream.slotName() != null) u.setSlotName(upstream.slotName());
      if (upstream.passwordFile() != null) u.setPasswordFile(upstream.passwordFile());
      if (upstream.applicationName() != null) u.setApplicationName(upstream.applicationName());
      b.setUpstream(u);
    } else if (s == NodeState.STREAMING_STANDBY) {
      throw new UsageException(where + ": state STREAMING_STANDBY needs upstream: {host, port, user}");
    }
    if (baseBackupMethod != null) {
      try {
        b.setBaseBackupMethod(BaseBackupMethod.valueOf(baseBackupMethod.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new UsageException(where + ": base_backup_method '" + baseBackupMethod + "' is not PG_BASEBACKUP or ARCHIVE");
      }
    }
    if (settings != null) {
      b.putAllSettings(settings);
    }
    return b.build();
  }
}
