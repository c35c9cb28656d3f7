package io.pgferry.agent.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.archive.codec.LzoCodec;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.agent.archive.wal.WalFetch;
import io.pgferry.agent.archive.wal.WalFetchEndpoint;
import io.pgferry.agent.archive.wal.WalFetchToken;
import io.pgferry.agent.archive.wal.WalPrefetcher;
import io.pgferry.agent.archive.wal.WalPush;
import io.pgferry.common.Command;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * wal-fetch through the agent: bin/pgferry-agent's curl path asks the loopback endpoint, which hands over prefetched
 * segments by rename; exit codes 0 / 1 (missing) / 128 (corrupt); never a partial file at DEST.
 */
class WalPrefetchTest {
  static final long SEG = 1 << 20; // small segments keep the test fast; naming follows the size
  static final Path BIN = Path.of(System.getProperty("pgferry.repo", "."), "bin/pgferry-agent");

  @TempDir Path tmp;

  @Test
  void curlClientGetsPrefetchedSegmentsAndExitCodesFollowPostgres() throws Exception {
    Path archive = Files.createDirectories(tmp.resolve("archive"));
    Path state = Files.createDirectories(tmp.resolve("state"));
    Path pgWal = Files.createDirectories(tmp.resolve("data/pg_wal"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    DirStore store = new DirStore(archive);
    WalPush push = new WalPush(store, new LzoCodec());
    int count = 12;
    byte[][] content = new byte[count][];
    Random rnd = new Random(7);
    for (int i = 0; i < count; i++) {
      content[i] = new byte[(int) SEG];
      for (int j = 0; j < content[i].length; j += 64) {
        content[i][j] = (byte) rnd.nextInt(); // mostly zeros, like real WAL tails
      }
      Path f = src.resolve(WalNames.name(1, 16 + i, SEG));
      Files.write(f, content[i]);
      assertEquals(WalPush.Outcome.UPLOADED, push.push(f));
      assertEquals(WalPush.Outcome.ALREADY_ARCHIVED, push.push(f), "pushing the same file again is success");
    }
    Vertx vertx = Vertx.vertx();
    try (WalPrefetcher prefetcher = new WalPrefetcher(store, state.resolve("prefetch"), 4, null, tmp.resolve("data"))) {
      WalFetchEndpoint.start(vertx, 0, prefetcher, state).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      long started = System.nanoTime();
      for (int i = 0; i < count; i++) {
        String name = WalNames.name(1, 16 + i, SEG);
        Command.Result r = fetch(state, name, pgWal.resolve("RECOVERYXLOG"));
        assertEquals(0, r.exitCode(), r.stderr());
        assertArrayEquals(content[i], Files.readAllBytes(pgWal.resolve("RECOVERYXLOG")), name);
      }
      double perCall = (System.nanoTime() - started) / 1e6 / count;
      System.out.printf("wal-fetch via curl + agent prefetch: %.1f ms per segment%n", perCall);
      assertEquals(WalNames.name(1, 16 + count - 1, SEG), prefetcher.lastRestored().orElseThrow());

      Command.Result missing = fetch(state, WalNames.name(1, 16 + count, SEG), pgWal.resolve("RECOVERYXLOG2"));
      assertEquals(1, missing.exitCode(), "a segment not in the archive is exit 1");
      assertEquals(1, fetch(state, "00000002.history", pgWal.resolve("RECOVERYHISTORY")).exitCode());
      assertFalse(Files.exists(pgWal.resolve("RECOVERYXLOG2")));

      // a corrupt object: checksum mismatch inside the lzop stream
      String bad = WalNames.name(1, 16 + count + 5, SEG);
      Path badFile = src.resolve(bad);
      Files.write(badFile, content[0]);
      push.push(badFile);
      Path key = archive.resolve(ArchiveLayout.waleWalKey(bad));
      byte[] lzo = Files.readAllBytes(key);
      lzo[lzo.length / 2] ^= 0x5A;
      Files.write(key, lzo);
      Command.Result corrupt = fetch(state, bad, pgWal.resolve("RECOVERYXLOG3"));
      assertEquals(128, corrupt.exitCode(), "corrupt data must abort recovery, not look like 'not in the archive'");
      assertFalse(Files.exists(pgWal.resolve("RECOVERYXLOG3")), "no partial file at DEST");
      assertEquals(WalFetch.Outcome.CORRUPT, new WalFetch(store).fetch(bad, pgWal.resolve("direct")), "direct fetch agrees");
      assertFalse(Files.exists(pgWal.resolve("direct")));
      try (var s = Files.list(pgWal)) {
        assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp files left");
      }

      // a different file under an archived name is refused
      Path other = src.resolve("x/" + WalNames.name(1, 16, SEG));
      Files.createDirectories(other.getParent());
      Files.write(other, content[1]);
      org.junit.jupiter.api.Assertions.assertThrows(WalPush.ConflictException.class, () -> push.push(other));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * The look-ahead the controller's StatusNow triggers on an archive replica: the segment after the last delivered is
   * asked for again every time (a window prefetch that found it missing is not remembered), and waking recovery is
   * only advised once it is here and PostgreSQL has stopped asking for a while (it sleeps out its retry interval).
   */
  @Test
  void lookAheadFindsTheNextSegmentOnceArchivedAndOnlyWhileRecoveryWaits() throws Exception {
    Path archive = Files.createDirectories(tmp.resolve("archive"));
    Path pgWal = Files.createDirectories(tmp.resolve("data/pg_wal"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    DirStore store = new DirStore(archive);
    WalPush push = new WalPush(store, new LzoCodec());
    IntFunction<Path> segment = i -> {
      try {
        Path f = src.resolve(WalNames.name(1, i, SEG));
        Files.write(f, new byte[(int) SEG]);
        return f;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    push.push(segment.apply(16));
    push.push(segment.apply(17));
    Duration wait = Duration.ofSeconds(5);
    try (WalPrefetcher prefetcher = new WalPrefetcher(store, tmp.resolve("prefetch"), 4, null, tmp.resolve("data"))) {
      assertFalse(prefetcher.nextReadyWhileRecoveryWaits(wait, Duration.ZERO), "nothing delivered yet: no next segment");
      assertEquals(WalFetch.Outcome.FETCHED, prefetcher.deliver(WalNames.name(1, 16, SEG), pgWal.resolve("RECOVERYXLOG")));
      assertEquals(WalFetch.Outcome.FETCHED, prefetcher.deliver(WalNames.name(1, 17, SEG), pgWal.resolve("RECOVERYXLOG")));
      // the window asked for 18..21 after that delivery and found none; recovery's own request misses too
      assertEquals(WalFetch.Outcome.NOT_FOUND, prefetcher.deliver(WalNames.name(1, 18, SEG), pgWal.resolve("RECOVERYXLOG")));
      assertFalse(prefetcher.nextReadyWhileRecoveryWaits(wait, Duration.ZERO), "18 is not archived yet");

      push.push(segment.apply(18));
      assertFalse(prefetcher.nextReadyWhileRecoveryWaits(wait, Duration.ofMinutes(1)),
          "18 is here, but recovery asked less than a minute ago: not sleeping that long, no wake");
      assertTrue(prefetcher.nextReadyWhileRecoveryWaits(wait, Duration.ZERO), "18 is here and recovery waits: wake it");
      assertEquals(WalFetch.Outcome.FETCHED, prefetcher.deliver(WalNames.name(1, 18, SEG), pgWal.resolve("RECOVERYXLOG")),
          "recovery's next request is served the segment the look-ahead fetched");
      assertEquals(WalNames.name(1, 18, SEG), prefetcher.lastRestored().orElseThrow());
    }
  }

  /**
   * Only the holder of this start's token (state_dir/wal-fetch.token, 0600) is served; a destination that leaves the
   * data dir through a symlink is refused, as is a dest that is itself a symlink; pg_wal linked elsewhere is inside.
   */
  @Test
  void endpointAsksForTheTokenAndResolvesSymlinks() throws Exception {
    Path archive = Files.createDirectories(tmp.resolve("archive"));
    Path state = Files.createDirectories(tmp.resolve("state"));
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path realWal = Files.createDirectories(tmp.resolve("walstore"));
    Files.createSymbolicLink(data.resolve("pg_wal"), realWal);
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.createSymbolicLink(data.resolve("escape"), outside);
    Files.createSymbolicLink(realWal.resolve("LINKED"), outside.resolve("victim"));
    Path src = Files.createDirectories(tmp.resolve("src"));
    DirStore store = new DirStore(archive);
    String name = WalNames.name(1, 16, SEG);
    byte[] content = new byte[(int) SEG];
    content[7] = 1;
    Files.write(src.resolve(name), content);
    new WalPush(store, new LzoCodec()).push(src.resolve(name));
    Vertx vertx = Vertx.vertx();
    try (WalPrefetcher prefetcher = new WalPrefetcher(store, state.resolve("prefetch"), 2, null, data)) {
      int port = WalFetchEndpoint.start(vertx, 0, prefetcher, state).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS).actualPort();
      Path tokenFile = state.resolve(WalFetchToken.FILE);
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
      String token = WalFetchToken.read(state).orElseThrow();

      assertEquals(401, post(port, null, name, data.resolve("pg_wal/RECOVERYXLOG")), "no token: refused");
      assertEquals(401, post(port, "0".repeat(64), name, data.resolve("pg_wal/RECOVERYXLOG")), "a wrong token: refused");
      assertEquals(403, post(port, token, name, data.resolve("escape/RECOVERYXLOG")), "out through a symlinked dir");
      assertFalse(Files.exists(outside.resolve("RECOVERYXLOG")));
      assertEquals(403, post(port, token, name, data.resolve("pg_wal/LINKED")), "a dest that is a symlink");
      assertFalse(Files.exists(outside.resolve("victim")));
      assertEquals(200, post(port, token, name, data.resolve("pg_wal/RECOVERYXLOG")), "pg_wal linked elsewhere is inside");
      assertArrayEquals(content, Files.readAllBytes(realWal.resolve("RECOVERYXLOG")));
      assertEquals(0, fetch(state, name, data.resolve("pg_wal/AGAIN")).exitCode(), "curl sends the token from its file");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Without the directory its destinations must lie in, the endpoint could write anywhere: it is not built. */
  @Test
  void aPrefetcherNeedsTheDirectoryItsDestinationsMustLieIn() {
    DirStore store = new DirStore(tmp.resolve("archive"));
    assertThrows(NullPointerException.class, () -> new WalPrefetcher(store, tmp.resolve("prefetch"), 1, null, null).close());
  }

  /** A token read before a restart of the endpoint does not open it afterwards. */
  @Test
  void eachStartIssuesANewToken() throws Exception {
    Path state = Files.createDirectories(tmp.resolve("state"));
    WalFetchToken first = WalFetchToken.issue(state, null);
    String firstValue = WalFetchToken.read(state).orElseThrow();
    WalFetchToken second = WalFetchToken.issue(state, null);
    String secondValue = WalFetchToken.read(state).orElseThrow();
    assertNotEquals(firstValue, secondValue);
    assertTrue(first.matches(firstValue) && second.matches(secondValue));
    assertFalse(second.matches(firstValue), "the previous start's token is refused");
  }

  private static int post(int port, String token, String segment, Path dest) throws Exception {
    var req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/wal-fetch?segment="
        + segment + "&dest=" + URLEncoder.encode(dest.toString(), StandardCharsets.UTF_8)))
        .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      req.header(WalFetchToken.HEADER, token);
    }
    return HttpClient.newHttpClient().send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static Command.Result fetch(Path state, String name, Path dest) {
    // no jar on this path: if curl did not answer, the java fallback would fail with "jar not found" (exit 2)
    return Command.of(BIN.toString(), "wal-fetch", "--archive", "file:///nonexistent", "--state-dir", state.toString(), name,
        dest.toString()).env("PGFERRY_AGENT_JAR", "/nonexistent.jar").run();
  }
}
