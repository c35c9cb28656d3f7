package io.pgferry.agent.archive.wal;

import io.pgferry.archive.codec.CorruptDataException;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.ObjectStore;
import io.pgferry.common.Command;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * The agent's side of restore_command: keeps the next {@code window} segments downloading in parallel into a spool
 * directory and hands a ready one to PostgreSQL by rename (owned by the PostgreSQL OS user). A segment the archive
 * did not have yet is never remembered as missing: the next request asks the archive again. Blocking; call from
 * worker threads.
 */
public final class WalPrefetcher implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(WalPrefetcher.class.getName());
  private final ObjectStore store;
  private final Path spool;
  private final int window;
  private final String osUser;
  private final Path allowedDir;
  private final ExecutorService pool;
  private final Map<String, CompletableFuture<Optional<Path>>> inflight = new ConcurrentHashMap<>();
  private volatile String lastRestored;
  private volatile long lastRestoredAtMillis;
  private volatile long segmentSize = WalNames.DEFAULT_SEGMENT_SIZE;
  private volatile SegmentGate gate = SegmentGate.OPEN;
  private volatile long lastAskedAtNanos = System.nanoTime();

  /**
   * {@code allowedDir}: destinations must lie under it (the data dir), so the endpoint cannot write elsewhere;
   * required (agent.yaml's postgres.data_dir always is).
   */
  public WalPrefetcher(ObjectStore store, Path spool, int window, String osUser, Path allowedDir) throws IOException {
    this.store = store;
    this.spool = spool;
    this.window = Math.max(0, window);
    this.osUser = osUser;
    this.allowedDir = Objects.requireNonNull(allowedDir, "allowedDir: the data dir destinations must lie in")
        .toAbsolutePath().normalize();
    Files.createDirectories(spool);
    try (DirectoryStream<Path> old = Files.newDirectoryStream(spool)) {
      for (Path p : old) {
        Files.deleteIfExists(p); // a previous run's leftovers may be stale
      }
    }
    this.pool = Executors.newFixedThreadPool(Math.max(1, this.window), r -> {
      Thread t = new Thread(r, "wal-prefetch");
      t.setDaemon(true);
      return t;
    });
  }

  public boolean destinationAllowed(Path dest) {
    // by real paths: a symlink inside the data dir (or a dest that is one) must not lead the write elsewhere; pg_wal
    // itself may be a symlink (initdb -X), so its real location counts as inside
    try {
      Path abs = dest.toAbsolutePath().normalize();
      if (Files.isSymbolicLink(abs) || abs.getParent() == null) {
        return false;
      }
      Path parent = abs.getParent().toRealPath();
      Path root = allowedDir.toRealPath();
      Path walDir = root.resolve("pg_wal");
      return parent.startsWith(root) || (Files.isDirectory(walDir) && parent.startsWith(walDir.toRealPath()));
    } catch (IOException e) {
      return false;
    }
  }

  public Optional<String> lastRestored() {
    return Optional.ofNullable(lastRestored);
  }

  /**
   * After an agent restart: the newest segment the server already holds counts as the last restored one until the
   * next delivery, so the lag is known at once (a quiet archive may not ask for a segment for a long time).
   */
  public void resumeFrom(String segment) {
    if (lastRestored == null && segment != null) {
      lastRestored = segment;
    }
  }

  public long lastRestoredAtMillis() {
    return lastRestoredAtMillis;
  }

  /** Consulted before each segment is handed over (a cascading standby must not overtake its upstream). */
  public void gate(SegmentGate gate) {
    this.gate = gate == null ? SegmentGate.OPEN : gate;
  }

  public WalFetch.Outcome deliver(String name, Path dest) throws IOException {
    lastAskedAtNanos = System.nanoTime();
    if (WalNames.isSegment(name)) {
      Optional<String> held = gate.holdBack(name, segmentSize);
      if (held.isPresent()) {
        LOG.fine("wal-fetch " + name + " held back: " + held.get());
        return WalFetch.Outcome.NOT_FOUND;
      }
    } else {
      WalFetch.Outcome o = new WalFetch(store).fetch(name, dest); // history files: small, never prefetched
      if (o == WalFetch.Outcome.FETCHED) {
        chown(dest);
      }
      return o;
    }
    CompletableFuture<Optional<Path>> f = fetch(name);
    Optional<Path> ready;
    try {
      ready = f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for " + name);
    } catch (ExecutionException e) {
      inflight.remove(name, f);
      if (e.getCause() instanceof CorruptDataException) {
        return WalFetch.Outcome.CORRUPT;
      }
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } finally {
      inflight.remove(name, f);
    }
    if (ready.isEmpty()) {
      return WalFetch.Outcome.NOT_FOUND;
    }
    Path file = ready.get();
    segmentSize = Files.size(file);
    chown(file);
    move(file, dest);
    lastRestored = name;
    lastRestoredAtMillis = System.currentTimeMillis();
    evictBefore(name);
    for (int i = 0, n = 0; n < window && i < window; i++) {
      fetch(after(name, 1 + i));
      n++;
    }
    return WalFetch.Outcome.FETCHED;
  }

  /**
   * Asks the archive now for the segment recovery needs next (the one after the last delivered) and keeps it ready
   * for PostgreSQL's request. True when it is ready while PostgreSQL has not asked for anything for {@code quiet}:
   * recovery then sleeps out wal_retrieve_retry_interval after a miss, and waking it saves the rest of that sleep.
   * Waits at most {@code wait} for the archive.
   */
  public boolean nextReadyWhileRecoveryWaits(Duration wait, Duration quiet) throws IOException {
    String last = lastRestored;
    if (last == null || !WalNames.isSegment(last)) {
      return false;
    }
    String next = after(last, 1);
    if (gate.holdBack(next, segmentSize).isPresent()) {
      return false;
    }
    CompletableFuture<Optional<Path>> f = fetch(next);
    try {
      if (f.get(wait.toMillis(), TimeUnit.MILLISECONDS).isEmpty()) {
        inflight.remove(next, f);
        return false;
      }
      return System.nanoTime() - lastAskedAtNanos >= quiet.toNanos();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      inflight.remove(next, f);
      return false; // PostgreSQL's own request meets the failure again
    } catch (TimeoutException e) {
      return false; // still downloading: PostgreSQL's request (or the next look) takes it
    }
  }

  /** The segment {@code k} after {@code segment} on its timeline. */
  private String after(String segment, int k) {
    return WalNames.name(WalNames.timeline(segment), WalNames.segmentNumber(segment, segmentSize) + k, segmentSize);
  }

  /**
   * The download of {@code name} under way or done; one that found nothing or failed is started again, so a segment
   * the archive did not have yet is never remembered as missing (a clean-up callback could not do this: when the
   * download ended before the callback was attached, it ran inside the map's compute and left the entry behind).
   */
  private CompletableFuture<Optional<Path>> fetch(String name) {
    return inflight.compute(name, (k, old) -> old == null || (old.isDone() && (old.isCompletedExceptionally() || old.join().isEmpty()))
        ? start(k) : old);
  }

  private CompletableFuture<Optional<Path>> start(String name) {
    CompletableFuture<Optional<Path>> f = CompletableFuture.supplyAsync(() -> {
      Path target = spool.resolve(name);
      try {
        WalFetch.Outcome o = new WalFetch(store).fetch(name, target);
        return switch (o) {
          case FETCHED -> Optional.of(target);
          case NOT_FOUND -> Optional.<Path>empty();
          case CORRUPT -> throw new CompletionException(new CorruptDataException(name + " is corrupt in the archive"));
        };
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    }, pool);
    return f;
  }

  private void evictBefore(String name) {
    long current = WalNames.segmentNumber(name, segmentSize);
    inflight.forEach((seg, f) -> {
      if (WalNames.timeline(seg) != WalNames.timeline(name) || WalNames.segmentNumber(seg, segmentSize) < current) {
        if (inflight.remove(seg, f)) {
          f.thenAccept(p -> p.ifPresent(path -> path.toFile().delete()));
        }
      }
    });
  }

  private void chown(Path p) {
    if (osUser != null && Command.runningAsRoot() && !osUser.equals("root")) {
      try {
        Files.setOwner(p, p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(osUser));
        Files.getFileAttributeView(p, PosixFileAttributeView.class)
            .setGroup(p.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(osUser));
      } catch (IOException e) {
        LOG.warning("cannot chown " + p + " to " + osUser + ": " + e.getMessage());
      }
    }
  }

  private static void move(Path from, Path dest) throws IOException {
    try {
      Files.move(from, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException crossDevice) {
      Path tmp = dest.resolveSibling(dest.getFileName() + ".tmp");
      Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
      Files.move(tmp, dest, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      Files.deleteIfExists(from);
    }
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
