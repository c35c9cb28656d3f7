package io.pgferry.controller.store;

import io.pgferry.controller.store.EtcdClient.Compare;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One leader among the controllers sharing an {@link EtcdStore}: the leader key {@code prefix/leader} (value: the
 * leader's advertised address) is created with {@code If(create_revision(key) = 0)} under an etcd lease of
 * {@code ttl}, renewed every ttl/3. Followers look at the key every ttl/3 and take it once the lease of the old
 * leader ran out and etcd deleted it.
 *
 * <p>Why a leader cut off from etcd stops before another acts: etcd ends the lease no earlier than ttl after the last
 * keepalive it received, and this controller counts from the moment it <em>sent</em> that keepalive (earlier), and
 * gives up at 2/3 of ttl: it is deposed ({@link Listener#deposed}) at least ttl/3 before the key can be taken. From
 * the moment it is deposed every store write also requires the leader key's create_revision, which a new leader's
 * key does not have, so even a write already in flight cannot land.
 */
public final class LeaderElection implements Leadership {
  static final String LEADER_KEY = "leader";
  private static final Logger LOG = Logger.getLogger(LeaderElection.class.getName());

  private final EtcdStore store;
  private final String address;
  private final Duration ttl;
  private final Listener listener;
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "pgferry-election");
    t.setDaemon(true);
    return t;
  });
  private final ScheduledExecutorService events = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pgferry-leadership");
    t.setDaemon(true);
    return t;
  });
  private final Object lock = new Object();
  private boolean leading;
  private long lease;
  /** System.nanoTime() when the last successful grant or keepalive was sent. */
  private long renewedAt;
  private volatile String leader;

  public LeaderElection(EtcdStore store, String address, Duration ttl, Listener listener) {
    this.store = store;
    this.address = address;
    this.ttl = ttl;
    this.listener = listener;
    store.fenceWith(0);
  }

  /** Starts campaigning (and, once leading, renewing); returns this. */
  public LeaderElection start() {
    long cycle = Math.max(50, ttl.toMillis() / 3);
    timers.scheduleWithFixedDelay(this::cycle, 0, cycle, TimeUnit.MILLISECONDS);
    timers.scheduleWithFixedDelay(this::watchdog, cycle, Math.max(10, ttl.toMillis() / 30), TimeUnit.MILLISECONDS);
    return this;
  }

  @Override
  public boolean leading() {
    synchronized (lock) {
      return leading;
    }
  }

  @Override
  public Optional<String> leader() {
    return leading() ? Optional.of(address) : Optional.ofNullable(leader);
  }

  private void cycle() {
    try {
      if (leading()) {
        renew();
      } else {
        campaign();
      }
    } catch (IOException e) {
      LOG.fine("etcd: " + e.getMessage()); // the watchdog deposes a leader that cannot renew in time
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "leader election cycle failed", e);
    }
  }

  private void renew() throws IOException {
    long sent = System.nanoTime();
    long id;
    synchronized (lock) {
      id = lease;
    }
    long left = store.client().keepAlive(id);
    synchronized (lock) {
      if (!leading || id != lease) {
        return;
      }
      if (left <= 0) {
        stepDown("the etcd lease " + Long.toHexString(id) + " is gone");
        return;
      }
      renewedAt = Math.max(renewedAt, sent);
    }
  }

  private void campaign() throws IOException {
    String key = store.key(LEADER_KEY);
    Optional<EtcdClient.KeyValue> current = store.client().get(key);
    if (current.isPresent()) {
      leader = current.get().value();
      return;
    }
    long sent = System.nanoTime();
    long id = store.client().grant(Math.max(1, (ttl.toMillis() + 999) / 1000));
    EtcdClient.TxnResult r = store.client().putIf(List.of(new Compare(key, "CREATE", 0)), key, address, id);
    if (!r.succeeded()) {
      store.client().revoke(id);
      return;
    }
    synchronized (lock) {
      lease = id;
      renewedAt = sent;
      leading = true;
      leader = address;
      store.fenceWith(r.revision());
    }
    LOG.info("this controller (" + address + ") leads: etcd lease " + Long.toHexString(id) + ", ttl " + ttl.toMillis() + " ms");
    events.execute(listener::elected);
  }

  private void watchdog() {
    synchronized (lock) {
      if (leading && System.nanoTime() - renewedAt > ttl.toNanos() * 2 / 3) {
        stepDown("the etcd lease could not be renewed within 2/3 of its ttl (" + ttl.toMillis() + " ms)");
      }
    }
  }

  /** Under lock. */
  private void stepDown(String why) {
    leading = false;
    leader = null;
    store.fenceWith(0);
    LOG.warning("this controller (" + address + ") stops leading: " + why);
    listener.deposed(why); // on this thread, at once: the engine and agent leases stop before the lease can end
  }

  @Override
  public void close() {
    timers.shutdownNow();
    long id = 0;
    synchronized (lock) {
      if (leading) {
        id = lease;
        stepDown("the controller stops");
      }
    }
    if (id != 0) {
      try {
        store.client().revoke(id); // hands over at once instead of after the ttl
      } catch (IOException e) {
        LOG.fine("revoking the leader lease: " + e.getMessage());
      }
    }
    events.shutdown();
  }
}
