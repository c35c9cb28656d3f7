package io.pgferry.agent.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.archive.codec.LzoCodec;
import io.pgferry.archive.format.ArchiveLayout;
import io.pgferry.archive.format.WalNames;
import io.pgferry.archive.storage.DirStore;
import io.pgferry.agent.archive.wal.WalFetch;
import io.pgferry.agent.archive.wal.WalFetchEndpoint;
import io.pgferry.agent.archive.wal.WalPrefetcher;
import io.pgferry.agent.archive.wal.WalPush;
import io.pgferry.common.Command;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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

  private static Command.Result fetch(Path state, String name, Path dest) {
    // no jar on this path: if curl did not answer, the java fallback would fail with "jar not found" (exit 2)
    return Command.of(BIN.toString(), "wal-fetch", "--archive", "file:///nonexistent", "--state-dir", state.toString(), name,
        dest.toString()).env("PGFERRY_AGENT_JAR", "/nonexistent.jar").run();
  }
}
