package io.pgferry.e2e.rig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * JDK 17 AppCDS for the rig's controllers, as bin/pgferry gives the real one: the classes a controller loads up to
 * listening, archived once per jar build beside the jar's readable copy, so a restarted controller (the crash
 * scenarios) maps them instead of loading them (docs/ha.md, "What a restart costs": about 1 s less on this machine).
 * The archive comes from a training run, a controller on a scratch config started and stopped with SIGTERM (the JVM
 * writes it at exit); it is moved into place whole, so a JVM never maps a half-written one. PGFERRY_CDS=off: none.
 */
final class ControllerCds {
  private static final Logger LOG = Logger.getLogger(ControllerCds.class.getName());

  private ControllerCds() {}

  /**
   * The JVM options that map the archive for {@code jar}, made first with {@code train} (which runs a controller
   * with the options it is given until it answers, then stops it); none when it cannot be made.
   */
  static synchronized List<String> options(Path jar, Consumer<List<String>> train) {
    if ("off".equals(System.getenv("PGFERRY_CDS"))) {
      return List.of();
    }
    Path archive = jar.resolveSibling("pgferry-controller.jsa");
    if (!Files.isReadable(archive)) {
      Path tmp = jar.resolveSibling("pgferry-controller-" + ProcessHandle.current().pid() + ".jsa.tmp");
      try {
        train.accept(List.of("-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:cds=off", "-Dpgferry.cds.preload=true")); // its warnings name classes it skips
        if (!Files.isRegularFile(tmp) || Files.size(tmp) == 0) {
          LOG.warning("AppCDS: the training run wrote no archive; controllers start without one");
          return List.of();
        }
        tmp.toFile().setReadable(true, false);
        Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException | RuntimeException e) {
        LOG.warning("AppCDS: no archive (" + e + "); controllers start without one");
        return List.of();
      } finally {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a leftover scratch file beside the jar copy; the next build's copy lives elsewhere
        }
      }
    }
    return List.of("-XX:SharedArchiveFile=" + archive);
  }
}
