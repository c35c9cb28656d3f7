package io.pgferry.controller.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.common.AtomicFiles;
import io.pgferry.common.UsageException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded store's one-writer lock, held by another process as a second controller would find it. */
class StateDirLockTest {
  @TempDir
  Path dir;

  @Test
  void aSecondControllerIsRefusedNamingTheOneThatHoldsTheStateDir() throws Exception {
    Process holder = holder(dir);
    try {
      UsageException e = assertThrows(UsageException.class, () -> StateDirLock.take(dir));
      assertTrue(e.getMessage().contains("pid " + holder.pid()), e.getMessage());
      assertTrue(e.getMessage().contains("--spare"), e.getMessage());
      assertEquals("pid " + holder.pid(), Files.readString(dir.resolve(StateDirLock.FILE)).strip(),
          "the refused controller left the holder's stamp alone");
    } finally {
      holder.destroyForcibly().waitFor();
    }
  }

  @Test
  void aWaitingSpareTakesTheLockTheMomentItsHolderIsKilled() throws Exception {
    Process holder = holder(dir);
    CompletableFuture<StateDirLock> taken = CompletableFuture.supplyAsync(() -> {
      try {
        return StateDirLock.await(dir);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Thread.sleep(300); // the spare is in lock() by now, or gets the lock at once once it gets there
    assertFalse(taken.isDone(), "the spare waits while the holder lives");
    long killedAt = System.nanoTime();
    holder.destroyForcibly().waitFor(); // kill -9: nothing released by the holder itself
    try (StateDirLock lock = taken.get(10, TimeUnit.SECONDS)) {
      long tookMs = (System.nanoTime() - killedAt) / 1_000_000;
      assertTrue(lock.held());
      assertTrue(tookMs < 2_000, "taken " + tookMs + " ms after the holder died");
      assertEquals("pid " + ProcessHandle.current().pid(), Files.readString(dir.resolve(StateDirLock.FILE)).strip());
      assertEquals(AtomicFiles.OWNER_ONLY, Files.getPosixFilePermissions(dir.resolve(StateDirLock.FILE)));
    }
  }

  @Test
  void aClosedLockCanBeTakenAgainAndAMissingStateDirIsMade() throws Exception {
    Path state = dir.resolve("not-yet");
    StateDirLock first = StateDirLock.take(state);
    first.close();
    assertFalse(first.held());
    try (StateDirLock again = StateDirLock.take(state)) {
      assertTrue(again.held());
    }
  }

  /** Another JVM that takes the lock and keeps it until it is killed; returns once it holds it. */
  private static Process holder(Path stateDir) throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
        Holder.class.getName(), stateDir.toString())).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (!"holding".equals(line)) {
      p.destroyForcibly();
      throw new IllegalStateException("the holder did not take the lock: " + line);
    }
    return p;
  }

  /** The holding process. */
  public static final class Holder {
    public static void main(String[] args) throws Exception {
      StateDirLock lock = StateDirLock.take(Path.of(args[0]));
      System.out.println(lock.held() ? "holding" : "not holding");
      System.out.flush();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
