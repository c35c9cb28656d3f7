package io.pgferry.agent.archive.backup;

import io.pgferry.agent.archive.backup.DataDirScanner.Member;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes members as a POSIX tar stream. A file is written at the size the scan saw: data that grew is cut,
 * data that shrank is NUL-padded (WAL replay repairs both), a file that vanished is skipped.
 */
public final class TarPartitionWriter {
  private TarPartitionWriter() {}

  /** Splits members into partitions whose member total stays under {@code maxBytes} (and 6144 members, as WAL-E). */
  public static List<List<Member>> partition(List<Member> members, long maxBytes) {
    List<List<Member>> parts = new ArrayList<>();
    List<Member> current = new ArrayList<>();
    long size = 0;
    for (Member m : members) {
      if (!current.isEmpty() && (size + m.size() >= maxBytes || current.size() >= 6144)) {
        parts.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(m);
      size += m.size();
    }
    if (!current.isEmpty()) {
      parts.add(current);
    }
    return parts;
  }

  /** Writes the members and returns the bytes of file data written (the expanded size). */
  public static long write(List<Member> members, OutputStream sink) throws IOException {
    long expanded = 0;
    try (TarArchiveOutputStream tar = open(sink)) {
      byte[] buf = new byte[256 * 1024];
      for (Member m : members) {
        switch (m.type()) {
          case DIRECTORY -> {
            TarArchiveEntry e = new TarArchiveEntry(m.name() + "/");
            e.setMode(040000 | m.mode());
            e.setModTime(m.mtimeMillis());
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
          }
          case SYMLINK -> {
            TarArchiveEntry e = new TarArchiveEntry(m.name(), TarConstants.LF_SYMLINK);
            e.setLinkName(m.linkTarget());
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
          }
          case FILE -> {
            InputStream in;
            try {
              in = Files.newInputStream(m.source());
            } catch (NoSuchFileException vanished) {
              continue;
            }
            try (in) {
              TarArchiveEntry e = new TarArchiveEntry(m.name());
              e.setSize(m.size());
              e.setMode(0100000 | m.mode());
              e.setModTime(m.mtimeMillis());
              tar.putArchiveEntry(e);
              long left = m.size();
              while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                  Arrays.fill(buf, (byte) 0);
                  while (left > 0) {
                    int z = (int) Math.min(buf.length, left);
                    tar.write(buf, 0, z);
                    left -= z;
                  }
                  break;
                }
                tar.write(buf, 0, n);
                left -= n;
              }
              tar.closeArchiveEntry();
              expanded += m.size();
            }
          }
          default -> throw new IllegalStateException(m.type().toString());
        }
      }
      tar.finish();
    }
    return expanded;
  }

  /** A tar of small in-memory files (backup_label, tablespace_map), mode 0600. */
  public static void writeFiles(Map<String, byte[]> files, OutputStream sink) throws IOException {
    try (TarArchiveOutputStream tar = open(sink)) {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(f.getValue().length);
        e.setMode(0100600);
        tar.putArchiveEntry(e);
        tar.write(f.getValue());
        tar.closeArchiveEntry();
      }
      tar.finish();
    }
  }

  private static TarArchiveOutputStream open(OutputStream sink) {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(sink);
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    return tar;
  }
}
