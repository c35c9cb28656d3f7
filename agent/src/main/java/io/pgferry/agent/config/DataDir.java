package io.pgferry.agent.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** Facts read from a data directory's files, without PostgreSQL running. */
public final class DataDir {
  private DataDir() {}

  public static boolean holdsCluster(Path dir) {
    return Files.isRegularFile(dir.resolve("PG_VERSION")) && Files.isRegularFile(dir.resolve("global/pg_control"));
  }

  public static boolean isMissingOrEmpty(Path dir) {
    if (!Files.isDirectory(dir)) {
      return true;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /** Major version from PG_VERSION ("11", "15", ...). */
  public static int majorVersion(Path dir) throws IOException {
    return Integer.parseInt(Files.readString(dir.resolve("PG_VERSION")).trim());
  }

  /** The cluster's system identifier: the first 8 bytes of global/pg_control, little-endian on x86/arm. */
  public static OptionalLong systemIdentifier(Path dir) throws IOException {
    Path control = dir.resolve("global/pg_control");
    if (!Files.isRegularFile(control)) {
      return OptionalLong.empty();
    }
    byte[] head = new byte[8];
    try (var in = Files.newInputStream(control)) {
      if (in.readNBytes(head, 0, 8) != 8) {
        throw new IOException(control + " is shorter than 8 bytes");
      }
    }
    return OptionalLong.of(ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getLong());
  }
}
