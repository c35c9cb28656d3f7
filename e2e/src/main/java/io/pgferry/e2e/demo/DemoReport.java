package io.pgferry.e2e.demo;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pgferry.common.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo report, a contract scripts read (DESIGN.md §11). A key a stage did not reach is absent, not zero:
 * every optional part is null until set, and nulls are not written.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public final class DemoReport {
  public boolean ok;
  public Integer pgVersion;
  public final List<PhaseEntry> phases = new ArrayList<>();
  public Map<String, Double> downtimeSeconds;
  public Ledger ledger;
  public Verification verification;
  public Sequences sequences;
  public Ddl ddl;
  /** ./demo --ha: the controller processes on etcd and how often the leader changed (the rig saw it in etcd). */
  public Controllers controllers;
  public Analyze analyze;
  public String error;
  public String logDir;

  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PhaseEntry(String name, String status, Double seconds) {}

  public record Ledger(long acknowledged, long lost, long duplicated) {}

  public record Verification(int tables, int mismatchedTables) {}

  public record Sequences(int checked, int mismatched) {}

  /** DDL statements the app ran on the publisher during the move, and those T applied (or an operator skipped). */
  public record Ddl(long recorded, long applied) {}

  public record Controllers(int count, int leaderChanges) {}
  /** T's VACUUM (ANALYZE) before cutover 2 (planner statistics for the app's first queries on T). */
  public record Analyze(int tables, double seconds) {}

  public void phase(String name, String status, Double seconds) {
    phases.removeIf(p -> p.name().equals(name));
    phases.add(new PhaseEntry(name, status, seconds));
  }

  public void downtime(String event, double seconds) {
    if (downtimeSeconds == null) {
      downtimeSeconds = new LinkedHashMap<>();
    }
    downtimeSeconds.put(event, Math.round(seconds * 1000) / 1000.0);
  }

  public void write(Path file) throws IOException {
    ObjectMapper mapper = new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(SerializationFeature.INDENT_OUTPUT);
    AtomicFiles.write(file, mapper.writeValueAsBytes(this), PosixFilePermissions.fromString("rw-r--r--"));
  }
}
