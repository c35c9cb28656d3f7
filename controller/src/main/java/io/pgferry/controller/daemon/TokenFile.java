package io.pgferry.controller.daemon;

import io.pgferry.common.UsageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A bearer token kept in a file only its owner may read (0600 or 0400): the controller's {@code http.token_file}
 * and the CLI's {@code --token-file}. Errors name the key (never the token).
 */
public final class TokenFile {
  private static final Set<PosixFilePermission> OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private TokenFile() {}

  /** The token (the file's text without surrounding white space); {@code key} names the setting in messages. */
  public static String read(Path file, String key) {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      if (mode.stream().anyMatch(OTHERS::contains)) {
        throw new UsageException(key + ": " + file + " is readable or writable by group or others (mode "
            + PosixFilePermissions.toString(mode) + "); chmod 600 it");
      }
      String token = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (token.isEmpty()) {
        throw new UsageException(key + ": " + file + " is empty; put a long random token in it (e.g. `openssl rand -hex 32`)");
      }
      if (token.chars().anyMatch(c -> c <= ' ' || c > '~')) {
        throw new UsageException(key + ": " + file + " holds white space or control characters inside the token; use one line of printable ASCII");
      }
      return token;
    } catch (NoSuchFileException e) {
      throw new UsageException(key + ": " + file + " does not exist");
    } catch (IOException e) {
      throw new UsageException(key + ": cannot read " + file + ": " + e.getMessage());
    }
  }
}
