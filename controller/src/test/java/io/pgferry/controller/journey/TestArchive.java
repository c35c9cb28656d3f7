package io.pgferry.controller.journey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A directory archive as preflight accepts it: one WAL-E backup (its sentinel) and the WAL segment it starts in. */
public final class TestArchive {
  public static final String BACKUP = "base_000000010000000000000002_00000040";
  public static final String START_SEGMENT = "000000010000000000000002";

  private TestArchive() {}

  public static Path create(Path root, String sentinelJson) throws IOException {
    Path backups = Files.createDirectories(root.resolve("basebackups_005"));
    Files.writeString(backups.resolve(BACKUP + "_backup_stop_sentinel.json"), sentinelJson);
    Files.writeString(Files.createDirectories(root.resolve("wal_005")).resolve(START_SEGMENT + ".lzo"), "segment");
    return root;
  }
}
