package io.pgferry.controller.store;

import io.pgferry.controller.journey.StoreSuperseded;
import io.pgferry.controller.journey.JournalStore;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgferry.controller.journey.JournalRecord;
import io.pgferry.controller.journey.JournalState;
import io.pgferry.controller.journey.Phase;
import io.pgferry.controller.store.EtcdClient.Compare;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The journal in etcd: record N at {@code prefix/journal/<N zero-padded to 20>}, holding the same JSON as a line of
 * journey.jsonl, put in a transaction {@code If(version(key) = 0)} (and, when elected, the leader key still ours):
 * record N is written once, by one controller. Reads fetch the records written since the last read, so a follower
 * that becomes leader sees the whole journal. An append that etcd refuses or that may not have landed throws
 * {@link StoreSuperseded}: this controller stops acting and does not undo anything; the leader (perhaps this one,
 * once etcd answers again) continues from the records.
 */
final class EtcdJournal implements JournalStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final EtcdStore store;
  private final Clock clock;
  private final String dir;
  private final List<JournalRecord> records = new ArrayList<>();

  private EtcdJournal(EtcdStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
    this.dir = store.key("journal/");
  }

  static EtcdJournal open(EtcdStore store, Clock clock) throws IOException {
    EtcdJournal j = new EtcdJournal(store, clock);
    j.fetch();
    return j;
  }

  static String seqKey(String dir, long seq) {
    return dir + String.format("%020d", seq);
  }

  /** Reads the records after the last one known. */
  private synchronized void fetch() throws IOException {
    for (EtcdClient.KeyValue kv : store.client().range(seqKey(dir, records.size() + 1L), EtcdClient.prefixEnd(dir))) {
      JournalRecord r = JSON.readValue(kv.value(), JournalRecord.class);
      if (r.seq() != records.size() + 1L) {
        throw new IOException("etcd " + kv.key() + " holds record " + r.seq() + " where " + (records.size() + 1)
            + " was expected; the journal was changed by hand?");
      }
      records.add(r);
    }
  }

  private void fetchQuietly() {
    try {
      fetch();
    } catch (IOException e) {
      // etcd unreachable: what was read last is served (status pages); writes fail on their own
    }
  }

  @Override
  public synchronized List<JournalRecord> records() {
    fetchQuietly();
    return List.copyOf(records);
  }

  @Override
  public synchronized JournalState state() {
    fetchQuietly();
    return JournalState.replay(records);
  }

  @Override
  public synchronized JournalRecord append(JournalRecord.Event event, Phase phase, String step, String message,
                                           Map<String, String> evidence) throws IOException {
    long seq = records.size() + 1L;
    JournalRecord r = new JournalRecord(seq, clock.instant().toString(), event, phase == null ? null : phase.name(),
        step, message, evidence == null || evidence.isEmpty() ? null : evidence);
    String key = seqKey(dir, seq);
    EtcdClient.TxnResult result;
    try {
      result = store.client().putIf(store.fenced(new Compare(key, "VERSION", 0)), key, JSON.writeValueAsString(r), 0);
    } catch (IOException e) {
      throw new StoreSuperseded("cannot write journal record " + seq + " to " + where() + " (" + e.getMessage()
          + "); this controller stops acting, the leader continues from the journal");
    }
    if (!result.succeeded()) {
      throw new StoreSuperseded("journal record " + seq + " in " + where() + " was written by another controller,"
          + " or this one no longer leads");
    }
    records.add(r);
    return r;
  }

  @Override
  public boolean noteUnrecordedUndo(Phase phase) {
    return false; // an unwritable etcd journal stops the engine without an undo (StoreSuperseded), so never needed
  }

  @Override
  public Optional<Phase> unrecordedUndo() {
    return Optional.empty();
  }

  @Override
  public void clearUnrecordedUndo() {}

  @Override
  public String where() {
    return "etcd " + dir;
  }

  @Override
  public void close() {}
}
