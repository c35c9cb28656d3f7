package io.pgferry.controller.journey;

import io.pgferry.controller.journey.JournalRecord;
import io.pgferry.controller.journey.JournalState;
import io.pgferry.controller.journey.Phase;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The journey's memory: append-only records numbered 1, 2, 3... An append returns only once the record is durable,
 * and is a compare-and-set on its sequence number: two controllers can never both write record N, so no step is
 * recorded (or done) twice. The embedded implementation is {@link io.pgferry.controller.journey.Journal} (a JSON-lines
 * file); {@link EtcdJournal} keeps one key per record.
 */
public interface JournalStore extends AutoCloseable {
  List<JournalRecord> records();

  JournalState state();

  /**
   * Appends the next record. Throws an IOException when it is not durable (the store is then not trusted again until
   * reopened), {@link StoreSuperseded} when another controller wrote that record first.
   */
  JournalRecord append(JournalRecord.Event event, Phase phase, String step, String message,
                       Map<String, String> evidence) throws IOException;

  /** Notes, outside the records, that {@code phase}'s undo ran unrecorded; whether the note was made. */
  boolean noteUnrecordedUndo(Phase phase);

  Optional<Phase> unrecordedUndo();

  void clearUnrecordedUndo() throws IOException;

  /** Where the records are, for messages (a file, an etcd prefix). */
  String where();

  @Override
  void close() throws IOException;
}
