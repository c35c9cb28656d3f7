package io.pgferry.agent.recovery;

import io.pgferry.common.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Writes files inside a data directory: atomically, only when the content differs, owned by the data directory's
 * owner (the agent may run as root; PostgreSQL must still read them) with the existing file's permissions.
 */
final class ConfigFiles {
  private ConfigFiles() {}

  static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
  }

  /** Returns true when the file changed. */
  static boolean writeIfChanged(Path file, String content) throws IOException {
    if (Files.exists(file) && read(file).equals(content)) {
      return false;
    }
    Set<PosixFilePermission> perms = Files.exists(file) ? Files.getPosixFilePermissions(file) : AtomicFiles.OWNER_ONLY;
    AtomicFiles.write(file, content.getBytes(StandardCharsets.UTF_8), perms);
    chownLikeParent(file);
    return true;
  }

  static boolean deleteIfExists(Path file) throws IOException {
    return Files.deleteIfExists(file);
  }

  static void chownLikeParent(Path file) throws IOException {
    PosixFileAttributeView dir = Files.getFileAttributeView(file.getParent(), PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    var attrs = dir.readAttributes();
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
    if (!view.readAttributes().owner().equals(attrs.owner())) {
      view.setOwner(attrs.owner());
    }
    if (!view.readAttributes().group().equals(attrs.group())) {
      view.setGroup(attrs.group());
    }
  }
}
