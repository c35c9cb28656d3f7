package io.pgferry.controller.store;

import io.pgferry.controller.journey.PlanCopy;
import io.pgferry.controller.journey.StoreSuperseded;
import io.pgferry.controller.journey.JournalStore;
import io.pgferry.controller.journey.ControllerStore;
import io.pgferry.controller.link.AddressRecords;
import io.pgferry.controller.link.GoalRecords;
import io.pgferry.controller.store.EtcdClient.Compare;
import io.pgferry.proto.Goal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The shared store: under {@code prefix} (e.g. /pgferry/prod) the journal as one key per record
 * ({@code journal/00000000000000000042}, written only if absent), the goals, the plan copy and the node addresses as one key each
 * (written only if unchanged since this controller read them: a compare on mod_revision), and the leader key. Once
 * {@link #fenceWith} names the leader key's create_revision, every write also requires that this controller still
 * holds the leader key, so a deposed leader can write nothing. Blocking: worker threads only.
 */
public final class EtcdStore implements ControllerStore {
  private final EtcdClient etcd;
  private final String prefix;
  /** The leader key's create_revision while this controller leads; 0 when it does not (writes refused); -1: no election. */
  private volatile long fence = -1;
  /** One each, so the revision a write compares with is the one this controller last read or wrote. */
  private final Versioned goals;
  private final Versioned plan;
  private final Versioned addresses;

  public EtcdStore(EtcdClient etcd, String prefix) {
    this.etcd = etcd;
    this.prefix = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    this.goals = new Versioned(key("goals"));
    this.plan = new Versioned(key("plan"));
    this.addresses = new Versioned(key("nodes"));
  }

  public EtcdClient client() {
    return etcd;
  }

  public String key(String name) {
    return prefix + "/" + name;
  }

  /** From now on writes require this create_revision of the leader key (0: refuse every write). */
  public void fenceWith(long leaderCreateRevision) {
    fence = leaderCreateRevision;
  }

  /** The compares every write adds: this controller holds the leader key. Throws when it does not lead. */
  List<Compare> fenced(Compare own) {
    long f = fence;
    if (f == 0) {
      throw new StoreSuperseded("this controller does not lead (" + where() + ")");
    }
    List<Compare> compares = new ArrayList<>();
    compares.add(own);
    if (f > 0) {
      compares.add(new Compare(key(LeaderElection.LEADER_KEY), "CREATE", f));
    }
    return compares;
  }

  @Override
  public JournalStore openJournal(Clock clock) throws IOException {
    return EtcdJournal.open(this, clock);
  }

  @Override
  public GoalRecords goals() {
    return goals;
  }

  @Override
  public AddressRecords addresses() {
    return new AddressRecords() {
      @Override
      public Map<String, AddressRecords.KnownNode> load() {
        try {
          return AddressStore.decode(addresses.read().orElse("{\"version\":1,\"nodes\":{}}"), "etcd " + key("nodes"));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read etcd " + key("nodes") + ": " + e.getMessage(), e);
        }
      }

      @Override
      public void save(Map<String, AddressRecords.KnownNode> known) {
        try {
          addresses.write(AddressStore.encode(known));
        } catch (IOException e) {
          throw new UncheckedIOException("cannot write etcd " + key("nodes") + ": " + e.getMessage(), e);
        }
      }
    };
  }

  @Override
  public PlanCopy planCopy() {
    return new PlanCopy() {
      @Override
      public Optional<String> read() throws IOException {
        return plan.read();
      }

      @Override
      public void write(String planText) throws IOException {
        plan.write(planText);
      }
    };
  }

  /** One key written with a compare on the mod_revision this controller last saw (0: absent). */
  private final class Versioned implements GoalRecords {
    private final String key;
    private long seen;

    Versioned(String key) {
      this.key = key;
    }

    synchronized Optional<String> read() throws IOException {
      Optional<EtcdClient.KeyValue> kv = etcd.get(key);
      seen = kv.map(EtcdClient.KeyValue::modRevision).orElse(0L);
      return kv.map(EtcdClient.KeyValue::value);
    }

    synchronized void write(String text) throws IOException {
      EtcdClient.TxnResult r = etcd.putIf(fenced(new Compare(key, "MOD", seen)), key, text, 0);
      if (!r.succeeded()) {
        throw new StoreSuperseded(key + " was written by another controller since this one read it, or this one"
            + " no longer leads");
      }
      seen = r.revision();
    }

    @Override
    public Map<String, Goal> load() {
      try {
        return GoalStore.decode(read().orElse("{\"version\":1,\"goals\":{}}"), "etcd " + key);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read etcd " + key + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void save(Map<String, Goal> goals) {
      try {
        write(GoalStore.encode(goals));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write etcd " + key + ": " + e.getMessage(), e);
      }
    }
  }

  @Override
  public String where() {
    return "etcd " + prefix;
  }

  @Override
  public void close() {
    etcd.close();
  }
}
