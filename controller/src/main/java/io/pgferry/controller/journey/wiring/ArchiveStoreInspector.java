package io.pgferry.controller.journey.wiring;

import io.pgferry.archive.format.ArchiveSurvey;
import io.pgferry.archive.format.BackupInfo;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.ArchiveLocation;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.archive.storage.S3Credentials;
import io.pgferry.archive.storage.S3Options;
import io.pgferry.common.Secrets;
import io.pgferry.controller.journey.ArchiveInspector;
import io.pgferry.controller.plan.Plan;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the plan's archive (file:// or s3://) with the agent's own storage and format code (module pgferry-archive):
 * the newest backup's sentinel, the history files recovery follows, and the WAL from the backup's start to the
 * archive head. S3 settings from the plan's archive.s3, completed from AWS_* as the agent does.
 */
public final class ArchiveStoreInspector implements ArchiveInspector {
  private static final int GAPS_SHOWN = 5;

  @Override
  public Optional<Backup> latestBackup(Plan.Archive archive) throws IOException {
    try (ObjectStore store = location(archive, System.getenv()).open()) {
      Optional<ArchiveSurvey> survey = ArchiveSurvey.of(store, WalNames.DEFAULT_SEGMENT_SIZE);
      if (survey.isEmpty()) {
        return Optional.empty();
      }
      BackupInfo b = survey.get().latest();
      int pgVersion = b.pgVersionNum();
      return Optional.of(new Backup(b.name(), Math.max(0, b.expandedSizeBytes()),
          pgVersion >= 100000 ? pgVersion / 10000 : 0, b.lastModified(), walProblems(survey.get())));
    }
  }

  /** The archive's location as the agent builds it: the URL's grammar, S3 settings completed from AWS_*. */
  static ArchiveLocation location(Plan.Archive archive, Map<String, String> env) {
    S3Options options = S3Options.DEFAULTS;
    Plan.ArchiveS3 s3 = archive.s3();
    if (s3 != null) {
      options = S3Options.of(s3.endpoint(), s3.region(), s3.pathStyle());
      if (s3.accessKeyId() != null || s3.secretAccessKey() != null) {
        options = options.withCredentials(new S3Credentials(
            Secrets.resolve(s3.accessKeyId(), "archive.s3.access_key_id"),
            Secrets.resolve(s3.secretAccessKey(), "archive.s3.secret_access_key")));
      }
    }
    return ArchiveLocation.parse(archive.url(), options.withEnvironment(env));
  }

  private static List<String> walProblems(ArchiveSurvey s) {
    List<String> out = new ArrayList<>(s.problems());
    List<String> missing = s.missing();
    if (!missing.isEmpty()) {
      out.add("WAL gap: " + missing.size() + " segment(s) missing between backup " + s.latest().name() + "'s start "
          + s.latest().startSegment() + " and the archive head " + s.head() + " (recovery would stop at the first): "
          + String.join(", ", missing.subList(0, Math.min(GAPS_SHOWN, missing.size())))
          + (missing.size() > GAPS_SHOWN ? ", ..." : ""));
    }
    return out;
  }
}
