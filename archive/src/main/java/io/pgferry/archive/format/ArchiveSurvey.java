package io.pgferry.archive.format;

import io.pgferry.archive.codec.Codecs;
import io.pgferry.archive.storage.NoSuchObjectException;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.ObjectStore.StoredObject;
import io.pgferry.common.Lsn;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether an archive can make a replica, read without restoring anything: the newest complete base backup, and
 * every WAL segment from that backup's start to the archive head on the timeline path recovery follows (the
 * newest timeline's {@code .history} file names the switch points). One listing of {@code wal_005/}.
 *
 * @param latest the newest complete backup
 * @param head the newest segment on that path (the backup's start segment when the archive holds none after it)
 * @param missing segments recovery would ask for and not find, oldest first
 * @param problems what else stops recovery (a history file missing, a backup off the timeline path), as sentences
 */
public record ArchiveSurvey(BackupInfo latest, String head, List<String> missing, List<String> problems) {
  private static final Pattern HISTORY_KEY = Pattern.compile("([0-9A-F]{8})\\.history(\\.[a-z0-9]+)?");

  /** Empty when the archive holds no complete backup. */
  public static Optional<ArchiveSurvey> of(ObjectStore store, long segmentSize) throws IOException {
    List<StoredObject> sentinels = new BackupCatalog(store).sentinels();
    if (sentinels.isEmpty()) {
      return Optional.empty();
    }
    BackupInfo latest = new BackupCatalog(store).resolve(BackupCatalog.LATEST);
    List<String> problems = new ArrayList<>();
    String start = latest.startSegment();
    if (start == null) {
      problems.add("backup " + latest.name() + ": its name carries no start segment; WAL continuity not checked");
      return Optional.of(new ArchiveSurvey(latest, null, List.of(), problems));
    }
    Map<Integer, TreeSet<Long>> segments = new HashMap<>();
    Map<Integer, String> historyKeys = new HashMap<>();
    for (StoredObject o : store.list(ArchiveLayout.WAL)) {
      String file = o.key().substring(ArchiveLayout.WAL.length());
      Matcher h = HISTORY_KEY.matcher(file);
      if (h.matches()) {
        historyKeys.put(Integer.parseUnsignedInt(h.group(1), 16), o.key());
        continue;
      }
      String name = file.length() >= 24 ? file.substring(0, 24) : file;
      String rest = file.substring(name.length());
      if (WalNames.isSegment(name) && (rest.isEmpty() || Codecs.forExtension(rest).isPresent())) {
        segments.computeIfAbsent(WalNames.timeline(name), t -> new TreeSet<>())
            .add(WalNames.segmentNumber(name, segmentSize));
      }
    }
    int backupTimeline = WalNames.timeline(start);
    long startNo = WalNames.segmentNumber(start, segmentSize);
    int newest = segments.keySet().stream().filter(t -> t >= backupTimeline)
        .filter(t -> segments.get(t).last() >= startNo).max(Integer::compare).orElse(backupTimeline);

    List<long[]> path = new ArrayList<>(); // {timeline, first segment number read from it}
    if (newest == backupTimeline) {
      path.add(new long[] {backupTimeline, 0});
    } else if (!historyKeys.containsKey(newest)) {
      problems.add(String.format("timeline history file %08X.history is missing: recovery cannot follow timeline %d "
          + "from the backup's timeline %d", newest, newest, backupTimeline));
      path.add(new long[] {backupTimeline, 0});
    } else {
      path.addAll(timelinePath(store, historyKeys.get(newest), newest, segmentSize));
      if (path.stream().noneMatch(p -> p[0] == backupTimeline)) {
        problems.add(String.format("backup %s is on timeline %d, which %08X.history does not list as an ancestor of "
            + "timeline %d", latest.name(), backupTimeline, newest, newest));
      }
    }
    long headNo = startNo;
    for (long[] p : path) {
      TreeSet<Long> on = segments.getOrDefault((int) p[0], new TreeSet<>());
      if (!on.isEmpty() && on.last() >= startNo) {
        headNo = Math.max(headNo, on.last());
      }
    }
    List<String> missing = new ArrayList<>();
    String head = start;
    for (long n = startNo; n <= headNo; n++) {
      int timeline = timelineOf(path, n);
      String name = WalNames.name(timeline, n, segmentSize);
      if (segments.getOrDefault(timeline, new TreeSet<>()).contains(n)) {
        head = name;
      } else {
        missing.add(name);
      }
    }
    String stop = latest.stopSegment();
    if (stop != null && WalNames.isSegment(stop) && WalNames.segmentNumber(stop, segmentSize) > headNo) {
      problems.add("backup " + latest.name() + " needs WAL up to " + stop + " to be consistent; the archive ends at "
          + head);
    }
    return Optional.of(new ArchiveSurvey(latest, head, List.copyOf(missing), List.copyOf(problems)));
  }

  /** The timeline recovery reads segment {@code n} from: the newest one on the path that began at or before it. */
  private static int timelineOf(List<long[]> path, long n) {
    int timeline = (int) path.get(0)[0];
    for (long[] p : path) {
      if (p[1] <= n) {
        timeline = (int) p[0];
      }
    }
    return timeline;
  }

  /**
   * The path to {@code newest} from its history file: lines {@code parentTLI <tab> switchLSN <tab> reason}; each
   * child timeline begins in the segment that holds its parent's switch point.
   */
  private static List<long[]> timelinePath(ObjectStore store, String key, int newest, long segmentSize)
      throws IOException {
    String text;
    String ext = key.substring(key.lastIndexOf(".history") + ".history".length()); // "" when stored as is
    try (InputStream in = Codecs.forExtension(ext).orElseThrow(() -> new IOException("no codec for " + key))
        .decompress(store.get(key))) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (NoSuchObjectException e) {
      throw new IOException(key + " vanished while reading it", e);
    }
    List<long[]> path = new ArrayList<>();
    long begin = 0;
    for (String line : text.split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 2 || f[0].startsWith("#") || !f[1].contains("/")) {
        continue;
      }
      path.add(new long[] {Long.parseLong(f[0]), begin});
      begin = Lsn.parse(f[1]).value() / segmentSize;
    }
    path.add(new long[] {newest, begin});
    return path;
  }
}
