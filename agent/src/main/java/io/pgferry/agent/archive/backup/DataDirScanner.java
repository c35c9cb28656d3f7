package io.pgferry.agent.archive.backup;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Lists what a base backup holds, following WAL-E's rules (tar_partition.py) plus WAL-G's extra runtime
 * directories: WAL and runtime directories keep an empty entry, server config and run files are left out
 * (a WAL-E backup carries no postgresql.conf/pg_hba.conf/pg_ident.conf), tablespace links are walked and stored as
 * {@code pg_tblspc/<oid>/...}. Sizes are fixed at scan time.
 */
public final class DataDirScanner {
  static final Set<String> TOP_LEVEL_EMPTY = Set.of("pg_xlog", "pg_wal", "pg_log", "pg_replslot", "pg_dynshmem",
      "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans", "pg_stat_tmp");
  static final Set<String> ANY_DEPTH_EMPTY = Set.of("pgsql_tmp", ".wal-e");
  static final Set<String> TOP_LEVEL_SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "postgresql.conf",
      "pg_hba.conf", "pg_ident.conf", "recovery.conf", "recovery.done", "promote", "backup_label", "backup_label.old",
      "tablespace_map", "tablespace_map.old", "standby.signal", "recovery.signal", "postgresql.auto.conf.tmp");
  static final Set<String> SKIPPED_ANYWHERE = Set.of("lost+found", "pg_internal.init");

  private DataDirScanner() {}

  public static List<Member> scan(Path dataDir) throws IOException {
    List<Member> out = new ArrayList<>();
    walk(dataDir.toRealPath(), "", out, true);
    return out;
  }

  private static void walk(Path root, String namePrefix, List<Member> out, boolean isDataDir) throws IOException {
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        String rel = relative(root, dir);
        if (rel.isEmpty()) {
          return FileVisitResult.CONTINUE;
        }
        String base = dir.getFileName().toString();
        if (SKIPPED_ANYWHERE.contains(base)) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        out.add(Member.directory(namePrefix + rel, mode(dir)));
        boolean topLevel = isDataDir && !rel.contains("/");
        if ((topLevel && TOP_LEVEL_EMPTY.contains(base)) || ANY_DEPTH_EMPTY.contains(base)) {
          return FileVisitResult.SKIP_SUBTREE;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        String rel = relative(root, file);
        String base = file.getFileName().toString();
        boolean topLevel = isDataDir && !rel.contains("/");
        if (SKIPPED_ANYWHERE.contains(base) || (topLevel && TOP_LEVEL_SKIPPED_FILES.contains(base))) {
          return FileVisitResult.CONTINUE;
        }
        if (attrs.isSymbolicLink()) {
          if (isDataDir && rel.startsWith("pg_tblspc/") && rel.indexOf('/', "pg_tblspc/".length()) < 0) {
            out.add(Member.directory(namePrefix + rel, 0700));
            walk(file.toRealPath(), namePrefix + rel + "/", out, false);
          } else {
            out.add(Member.symlink(namePrefix + rel, Files.readSymbolicLink(file).toString()));
          }
          return FileVisitResult.CONTINUE;
        }
        if (attrs.isRegularFile()) {
          out.add(Member.file(namePrefix + rel, file, attrs.size(), mode(file), attrs.lastModifiedTime().toMillis()));
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
        if (exc instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE; // vanished during the scan (a dropped relation): not needed
        }
        throw exc;
      }
    });
  }

  private static String relative(Path root, Path p) {
    return root.relativize(p).toString();
  }

  private static int mode(Path p) {
    try {
      Set<PosixFilePermission> perms = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS).permissions();
      int m = 0;
      for (PosixFilePermission perm : perms) {
        m |= 1 << (8 - perm.ordinal());
      }
      return m;
    } catch (IOException e) {
      return 0600;
    }
  }

  /** One tar member; {@code source} is null for directories and symlinks. */
  public record Member(String name, Type type, Path source, long size, int mode, long mtimeMillis, String linkTarget) {
    enum Type { FILE, DIRECTORY, SYMLINK }

    static Member file(String name, Path source, long size, int mode, long mtime) {
      return new Member(name, Type.FILE, source, size, mode, mtime, null);
    }

    static Member directory(String name, int mode) {
      return new Member(name, Type.DIRECTORY, null, 0, mode, System.currentTimeMillis(), null);
    }

    static Member symlink(String name, String target) {
      return new Member(name, Type.SYMLINK, null, 0, 0777, System.currentTimeMillis(), target);
    }
  }
}
