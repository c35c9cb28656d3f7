package io.pgferry.e2e.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.common.AtomicFiles;
import io.pgferry.common.Command;
import io.pgferry.e2e.scenario.Kept;
import io.pgferry.testkit.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The record a `./demo --keep` run leaves in its work dir ({@value #FILE}): the daemons' pids with their start
 * times (so a reused pid is never killed) and the clusters' data dirs. `./demo --clean` stops them and removes the
 * work dir.
 */
final class KeptRun {
  static final String FILE = "kept.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A kept process: pid plus the start time the OS reported, to recognise it later. */
  record Proc(long pid, String started) {}

  record Record(Kept kept, List<Proc> processes) {}

  private KeptRun() {}

  static Path write(Path workDir, Kept kept) throws IOException {
    List<Proc> procs = new ArrayList<>();
    for (long pid : kept.pids()) {
      ProcessHandle.of(pid).flatMap(p -> p.info().startInstant()).ifPresent(at -> procs.add(new Proc(pid, at.toString())));
    }
    Path file = workDir.resolve(FILE);
    AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Record(kept, procs)),
        PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  /** Stops what a kept run left (daemons first, so no agent restarts its PostgreSQL) and removes the work dir. */
  static List<String> clean(Path workDir) throws IOException {
    List<String> done = new ArrayList<>();
    Path file = workDir.resolve(FILE);
    if (Files.exists(file)) {
      Record r = JSON.readValue(file.toFile(), Record.class);
      for (Proc p : r.processes()) {
        Optional<ProcessHandle> h = ProcessHandle.of(p.pid())
            .filter(ph -> ph.info().startInstant().map(at -> at.toString().equals(p.started())).orElse(false));
        h.ifPresent(ph -> {
          String command = ph.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("?");
          ph.destroy();
          try {
            ph.onExit().get(15, TimeUnit.SECONDS);
          } catch (Exception e) {
            ph.destroyForcibly();
          }
          done.add("stopped pid " + p.pid() + " (" + command + ")");
        });
      }
      for (Kept.Cluster c : r.kept().clusters()) {
        if (Files.exists(Path.of(c.dataDir(), "postmaster.pid"))) {
          Command.of(c.pgCtl(), "-D", c.dataDir(), "stop", "-m", "fast", "-w", "-t", "30").as(Workspace.PG_USER)
              .timeout(Duration.ofSeconds(60)).run();
          done.add("stopped PostgreSQL " + c.name() + " on :" + c.port());
        }
      }
    }
    if (Files.exists(workDir)) {
      Command.of("rm", "-rf", workDir.toString()).runChecked();
      done.add("removed " + workDir);
    }
    return done;
  }
}
