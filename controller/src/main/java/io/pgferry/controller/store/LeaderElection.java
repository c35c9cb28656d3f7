package io.pgferry.controller.store;

import io.pgferry.controller.store.EtcdClient.Compare;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
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
  /** Each controller's heartbeat, {@code prefix/controllers/ADDRESS} (what `pgferry status` shows as its health). */
  static final String CONTROLLERS = "controllers/";
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
  /**
   * Written under {@link #lock}, read without it: {@link #stepDown} holds the lock while the engine and the agent link
   * stop, and the HTTP API (FollowerGuard, on an event loop) must see "not leading" at once, not after them.
   */
  private volatile boolean leading;
  private long lease;
  /** System.nanoTime() when the last successful grant or keepalive was sent. */
  private long renewedAt;
  private volatile String leader;
  /** create_revision of the leader key last seen (0: none seen yet) and how often it changed. */
  private long term;
  private final AtomicLong leaderChanges = new AtomicLong();

  public LeaderElection(EtcdStore store, String address, Duration ttl, Listener listener) {
    this.store = store;
    this.address = address;
    this.ttl = ttl;
    this.listener = listener;
    store.fenceWith(0);
  }

  /**
   * Starts campaigning (and, once leading, renewing); returns this. The leader renews and every controller writes its
   * heartbeat every ttl/3; a follower looks at the leader key more often (every 250 ms at most), so a dead leader's
   * key, once etcd deleted it, is taken within a quarter second rather than a whole ttl/3 cycle.
   */
  public LeaderElection start() {
    long cycle = Math.max(50, ttl.toMillis() / 3);
    timers.scheduleWithFixedDelay(this::cycle, 0, Math.min(cycle, LOOK_EVERY_MS), TimeUnit.MILLISECONDS);
    timers.scheduleWithFixedDelay(this::watchdog, cycle, Math.max(10, ttl.toMillis() / 30), TimeUnit.MILLISECONDS);
    return this;
  }

  /** How often a follower looks at the leader key at most. */
  static final long LOOK_EVERY_MS = 250;

  @Override
  public boolean leading() {
    return leading;
  }

  @Override
  public Optional<String> leader() {
    return leading() ? Optional.of(address) : Optional.ofNullable(leader);
  }

  /** System.nanoTime() of the last renewal and heartbeat sent (read and written on the cycle's thread only). */
  private long lastRenewal = System.nanoTime() - TimeUnit.HOURS.toNanos(1);
  private long lastHeartbeat = lastRenewal;

  private void cycle() {
    long cycle = Math.max(50, ttl.toMillis() / 3) * 1_000_000L;
    try {
      long now = System.nanoTime();
      if (leading()) {
        if (now - lastRenewal >= cycle) {
          lastRenewal = now;
          renew();
        }
      } else {
        campaign();
      }
      if (now - lastHeartbeat >= cycle) {
        lastHeartbeat = now;
        heartbeat();
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
      sawTerm(current.get().createRevision());
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
      lastRenewal = sent;
      leading = true;
      leader = address;
      store.fenceWith(r.revision());
      sawTerm(r.revision());
    }
    LOG.info("this controller (" + address + ") leads: etcd lease " + Long.toHexString(id) + ", ttl " + ttl.toMillis() + " ms");
    events.execute(listener::elected);
  }

  /** A leader key created at {@code createRevision} was seen: another term than the last one seen is a leader change. */
  private void sawTerm(long createRevision) {
    synchronized (lock) {
      if (term != 0 && term != createRevision) {
        leaderChanges.incrementAndGet();
      }
      term = createRevision;
    }
  }

  /**
   * This controller's heartbeat, written by leader and followers alike every cycle and outside the leader fence (it
   * is no decision): {@code {"address", "leading", "seen"}} at {@code prefix/controllers/ADDRESS}. It stays after the
   * controller dies, so status shows how long ago it was last seen.
   */
  private void heartbeat() throws IOException {
    String key = store.key(CONTROLLERS + address);
    JsonObject beat = new JsonObject().put("address", address).put("leading", leading()).put("seen", Instant.now().toString());
    store.client().putIf(List.of(), key, beat.encode(), 0);
  }

  @Override
  public long leaderChanges() {
    return leaderChanges.get();
  }

  @Override
  public ControlPlane controlPlane() {
    Map<String, Boolean> members = store.client().health();
    List<ControlPlane.Controller> controllers = new ArrayList<>();
    try {
      String dir = store.key(CONTROLLERS);
      for (EtcdClient.KeyValue kv : store.client().range(dir, EtcdClient.prefixEnd(dir))) {
        JsonObject beat = new JsonObject(kv.value());
        controllers.add(new ControlPlane.Controller(beat.getString("address"), beat.getBoolean("leading", false),
            Instant.parse(beat.getString("seen"))));
      }
    } catch (IOException | RuntimeException e) {
      LOG.fine("reading the controllers' heartbeats: " + e.getMessage()); // etcd out of reach: members say so
    }
    return new ControlPlane("etcd", address, leading(), leader().orElse(null), leaderChanges(), controllers, members, ttl);
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
