package io.pgferry.controller.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pgferry.testkit.plan.PlanBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandSwitcherTest {
  @TempDir
  Path dir;

  @Test
  void hooksRunInOrderWithTheTargetInTheirEnvironment() throws Exception {
    Path log = dir.resolve("hooks.log");
    Path state = dir.resolve("current-url");
    Path pw = dir.resolve("pw");
    PlanBuilder.writeSecret(pw, "p@ss word");
    String append = " >> " + log;
    SwitchSettings.Command settings = new SwitchSettings.Command(
        "echo \"block $PGFERRY_STEP $APP_NAME\"" + append,
        "echo \"repoint $PGFERRY_STEP $PGFERRY_TARGET_HOST $PGFERRY_TARGET_PORT $PGFERRY_TARGET_DBNAME $PGFERRY_TARGET_USER\"" + append
            + " && printf '%s' \"$PGFERRY_TARGET_URL\" > " + state,
        "echo unblock" + append,
        "cat " + state,
        Duration.ofSeconds(10), Map.of("APP_NAME", "shop"));
    AppSwitcher sw = AppSwitchers.create(settings);
    DatabaseEndpoint target = new DatabaseEndpoint("10.1.2.3", 5432, "shop", "app", "file:" + pw);
    sw.blockWrites();
    sw.repoint(target);
    sw.unblock();
    assertEquals(List.of("block block shop", "repoint repoint 10.1.2.3 5432 shop app", "unblock"), Files.readAllLines(log));
    assertEquals("postgres://app:p%40ss%20word@10.1.2.3:5432/shop", Files.readString(state), "the hook gets the URL with the password");
    assertEquals(target.redactedUrl(), sw.current().redactedUrl());
    assertTrue(sw.describeRepoint(target).stream().noneMatch(l -> l.contains("p@ss")), "plan never shows the password");
  }

  @Test
  void aFailingHookIsAClearErrorAndAFailedBlockIsUndone() throws Exception {
    Path log = dir.resolve("hooks.log");
    SwitchSettings.Command settings = new SwitchSettings.Command(
        "echo 'maintenance API said no' >&2; exit 3", "true", "echo undone >> " + log, "", Duration.ofSeconds(10), Map.of());
    AppSwitcher sw = AppSwitchers.create(settings);
    SwitchException e = assertThrows(SwitchException.class, sw::blockWrites);
    System.out.println("failing hook: " + e.getMessage());
    assertTrue(e.getMessage().contains("block hook"), e.getMessage());
    assertTrue(e.getMessage().contains("exited 3"), e.getMessage());
    assertTrue(e.getMessage().contains("maintenance API said no"), e.getMessage());
    assertTrue(e.getMessage().contains("unblock hook ran"), e.getMessage());
    assertEquals(List.of("undone"), Files.readAllLines(log));
    SwitchException noCurrent = assertThrows(SwitchException.class, sw::current);
    assertTrue(noCurrent.getMessage().contains("no 'current' hook"), noCurrent.getMessage());
  }

  @Test
  void aHangingHookTimesOut() {
    SwitchSettings.Command settings = new SwitchSettings.Command("", "sleep 30", "", "", Duration.ofMillis(500), Map.of());
    long start = System.nanoTime();
    SwitchException e = assertThrows(SwitchException.class,
        () -> AppSwitchers.create(settings).repoint(new DatabaseEndpoint("h", 5432, "d", "u", null)));
    assertTrue(e.getMessage().contains("timed out"), e.getMessage());
    assertTrue((System.nanoTime() - start) / 1_000_000 < 10_000);
  }
}
