package io.pgferry.agent.cli;

import io.pgferry.archive.format.BackupCatalog;
import io.pgferry.archive.format.BackupInfo;
import io.pgferry.archive.storage.ObjectStore;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "backup-list", mixinStandardHelpOptions = true,
    description = "List the complete base backups in the archive (WAL-E and WAL-G layouts), oldest first: "
        + "name, last modified, format, expanded size, WAL segment needed for consistency.")
public final class BackupListCommand implements Callable<Integer> {
  @Mixin ArchiveOptions archive;

  @Override
  public Integer call() throws Exception {
    try (ObjectStore store = archive.open()) {
      List<BackupInfo> backups = new BackupCatalog(store).list();
      System.out.println("name\tlast_modified\tformat\texpanded_size_bytes\twal_segment_backup_stop");
      for (BackupInfo b : backups) {
        System.out.println(b.name() + "\t" + b.lastModified() + "\t" + b.format() + "\t" + b.expandedSizeBytes() + "\t"
            + (b.stopSegment() == null ? "-" : b.stopSegment()));
      }
      return 0;
    }
  }
}
