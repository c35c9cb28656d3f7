package io.pgferry.controller.daemon;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.logging.Logger;

/**
 * For the run that writes the controller's AppCDS archive (docs/ha.md, "What a restart costs"): loads, without
 * initializing them, the classes of the packages a controller restarted in the middle of a journey uses - the
 * journey's steps, the JDBC driver and its SCRAM, the link, the web side - so the archive maps them too. A training
 * run that only starts and stops loads few of them, and a restart in a cutover then read them from the jar while
 * the app's writes waited. Asked for with {@code -Dpgferry.cds.preload=true} beside {@code -XX:ArchiveClassesAtExit}
 * (bin/pgferry and the e2e rig pass both). A warm spare ({@link WarmSpare}) runs it too, while it waits.
 */
public final class ClassPreload {
  public static final String PROPERTY = "pgferry.cds.preload";
  private static final Logger LOG = Logger.getLogger(ClassPreload.class.getName());
  private static final List<String> PACKAGES = List.of("io/pgferry/", "org/postgresql/", "com/ongres/", "io/vertx/",
      "io/netty/", "com/fasterxml/jackson/", "com/google/protobuf/", "org/yaml/snakeyaml/", "picocli/", "io/micrometer/",
      "io/prometheus/", "com/google/gson/");

  private ClassPreload() {}

  public static boolean wanted() {
    return Boolean.getBoolean(PROPERTY);
  }

  /** Loads what it can from the jar this class came from; returns how many classes it loaded. */
  public static int run() {
    long started = System.nanoTime();
    Path jar;
    try {
      jar = Path.of(ClassPreload.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | RuntimeException e) {
      return 0;
    }
    if (!Files.isRegularFile(jar)) {
      return 0; // classes from a directory (tests): nothing to archive
    }
    ClassLoader loader = ClassPreload.class.getClassLoader();
    int loaded = 0;
    try (JarFile file = new JarFile(jar.toFile())) {
      for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
        String name = entries.nextElement().getName();
        if (!name.endsWith(".class") || name.startsWith("META-INF/") || name.endsWith("module-info.class")
            || name.endsWith("package-info.class") || PACKAGES.stream().noneMatch(name::startsWith)) {
          continue;
        }
        try {
          Class.forName(name.substring(0, name.length() - ".class".length()).replace('/', '.'), false, loader);
          loaded++;
        } catch (Throwable e) { // NOPMD: a class whose optional dependency is absent is simply left out
          // left out of the archive
        }
      }
    } catch (IOException e) {
      LOG.warning("class preload: " + e.getMessage());
    }
    LOG.info("class preload: " + loaded + " classes in " + (System.nanoTime() - started) / 1_000_000 + " ms");
    return loaded;
  }
}
