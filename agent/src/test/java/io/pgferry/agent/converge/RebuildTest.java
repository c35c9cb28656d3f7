package io.pgferry.agent.converge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.agent.cluster.UpstreamProbe;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When a goal with rebuild discards the data dir (files only; AddStandbyIT runs it for a standby, NodeLossIT for an
 * archive replica lost before cutover 1).
 */
class RebuildTest {
  private static final long SYSID = 7312345678901234567L;
  private static final UpstreamProbe.Identity UPSTREAM_TL2 = new UpstreamProbe.Identity(SYSID, 2, "0/5000000", 150000);

  @TempDir
  Path dir;

  private Path cluster(String name, long sysid, int... historyTimelines) throws Exception {
    Path d = dir.resolve(name);
    Files.createDirectories(d.resolve("global"));
    Files.createDirectories(d.resolve("pg_wal"));
    Files.createDirectories(d.resolve("base"));
    Files.writeString(d.resolve("PG_VERSION"), "15\n");
    Files.write(d.resolve("global/pg_control"), ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(sysid).array());
    for (int tl : historyTimelines) {
      Files.writeString(d.resolve("pg_wal").resolve(String.format("%08X.history", tl)), "");
    }
    return d;
  }

  @Test
  void keepsOnlyAStandbyOfTheSameClusterOnTheUpstreamsTimeline() throws Exception {
    assertEquals(Optional.empty(), Rebuild.reason(dir.resolve("absent"), false, UPSTREAM_TL2), "nothing to discard");
    Path same = cluster("same", SYSID, 2);
    assertEquals(Optional.empty(), Rebuild.reason(same, true, UPSTREAM_TL2));
    assertEquals(2, Rebuild.latestTimeline(same));
    assertTrue(Rebuild.reason(same, false, UPSTREAM_TL2).orElseThrow().contains("ran as a primary"));
  }

  @Test
  void discardsDivergedForeignAndBrokenDirs() throws Exception {
    Path oldTimeline = cluster("old", SYSID);
    assertEquals(1, Rebuild.latestTimeline(oldTimeline));
    assertTrue(Rebuild.reason(oldTimeline, true, UPSTREAM_TL2).orElseThrow().contains("timeline 1, the upstream on 2"));
    Path foreign = cluster("foreign", 42L, 2);
    assertTrue(Rebuild.reason(foreign, true, UPSTREAM_TL2).orElseThrow().contains("another cluster"));
    Files.delete(foreign.resolve("global/pg_control"));
    assertTrue(Rebuild.reason(foreign, true, UPSTREAM_TL2).orElseThrow().contains("no complete cluster"));
  }

  @Test
  void anArchiveReplicaIsJudgedByItsDataDirAlone() throws Exception {
    assertEquals(Optional.empty(), Rebuild.localReason(dir.resolve("absent"), false), "nothing to discard");
    Path intact = cluster("intact", SYSID);
    assertEquals(Optional.empty(), Rebuild.localReason(intact, true), "an intact replica replays on where it stopped");
    assertTrue(Rebuild.localReason(intact, false).orElseThrow().contains("ran as a primary"));
    Transitions.deleteTree(intact.resolve("base"));
    assertTrue(Rebuild.localReason(intact, true).orElseThrow().contains("lacks base/"));
    Transitions.deleteTree(intact.resolve("global"));
    assertTrue(Rebuild.localReason(intact, true).orElseThrow().contains("no complete cluster"));
    Path junk = Files.createDirectories(dir.resolve("junk"));
    Files.writeString(junk.resolve("lost+found"), "");
    assertTrue(Rebuild.localReason(junk, true).orElseThrow().contains("no complete cluster"));
  }
}
