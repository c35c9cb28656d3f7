package io.pgferry.archive.format;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Object keys of the WAL-E and WAL-G layouts (version 005), relative to the archive root. */
public final class ArchiveLayout {
  public static final String BASEBACKUPS = "basebackups_005/";
  public static final String WAL = "wal_005/";
  public static final String SENTINEL_SUFFIX = "_backup_stop_sentinel.json";
  /** WAL-E: {@code base_<24 hex>_<8 chars>}; the offset is decimal text although the regex allows hex. */
  static final Pattern WALE_NAME = Pattern.compile("base_([0-9A-F]{24})_([0-9A-F]{8})");
  static final Pattern BACKUP_NAME = Pattern.compile("base_[0-9A-Za-z_]+");

  private ArchiveLayout() {}

  public static String waleBackupName(String startSegment, String offsetField) {
    return "base_" + startSegment + "_" + offsetField;
  }

  public static boolean isWaleName(String backupName) {
    return WALE_NAME.matcher(backupName).matches();
  }

  /** The start segment a WAL-E or WAL-G backup name carries (WAL-G: {@code base_<SEG>[_D_<parent>]}). */
  public static String startSegment(String backupName) {
    Matcher m = Pattern.compile("base_([0-9A-F]{24}).*").matcher(backupName);
    return m.matches() ? m.group(1) : null;
  }

  public static String backupDir(String name) {
    return BASEBACKUPS + name + "/";
  }

  public static String sentinelKey(String name) {
    return BASEBACKUPS + name + SENTINEL_SUFFIX;
  }

  public static String partitionsPrefix(String name) {
    return backupDir(name) + "tar_partitions/";
  }

  public static String walePartitionKey(String name, int number) {
    return partitionsPrefix(name) + String.format("part_%08d.tar.lzo", number);
  }

  public static String extendedVersionKey(String name) {
    return backupDir(name) + "extended_version.txt";
  }

  public static String waleWalKey(String walFileName) {
    return WAL + walFileName + ".lzo";
  }

  /** The backup name a sentinel key stands for, or null when the key is not a sentinel at sentinel depth. */
  public static String nameOfSentinel(String key) {
    if (!key.startsWith(BASEBACKUPS) || !key.endsWith(SENTINEL_SUFFIX)) {
      return null;
    }
    String name = key.substring(BASEBACKUPS.length(), key.length() - SENTINEL_SUFFIX.length());
    return BACKUP_NAME.matcher(name).matches() ? name : null;
  }
}
