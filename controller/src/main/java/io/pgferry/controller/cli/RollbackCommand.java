package io.pgferry.controller.cli;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.journey.wiring.PlanSwitches;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.sql.DatabaseFence;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.controller.sql.logical.Rollback;
import io.pgferry.controller.switching.AppSwitcher;
import io.pgferry.controller.switching.DatabaseEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rollback", mixinStandardHelpOptions = true,
    description = "After cutover 2, while reverse replication T -> A runs: block the app's writes, wait until A has applied T's"
        + " current position, set A's sequences to T's, end the reverse subscription, lift A's fence, point the app at A, unblock."
        + " Without --plan only the SQL part runs (block and switch the app yourself).")
public final class RollbackCommand implements Callable<Integer> {
  @Mixin
  DatabaseOptions databases;

  @Option(names = "--plan", description = "the plan (its switch block moves the app back to A)")
  Path plan;

  @Option(names = "--state-dir", defaultValue = "/var/lib/pgferry", description = "the controller's state dir (Heroku switch memory)")
  Path stateDir;

  @Option(names = "--timeout", defaultValue = "60", description = "seconds to wait for A to catch up (default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Option(names = "--describe", description = "print what it would do and stop")
  boolean describe;

  @Override
  public Integer call() throws Exception {
    PgEndpoint a = databases.source();
    Rollback rollback = new Rollback(databases.target(), a, LogicalNames.REVERSE);
    Plan p = plan == null ? null : PlanLoader.load(plan).plan();
    AppSwitcher switcher = p == null ? null : PlanSwitches.create(p, stateDir);
    DatabaseEndpoint appOnA = p == null ? null : new DatabaseEndpoint(a.host(), a.port(), p.app().dbname(), p.app().user(), p.app().password());
    if (describe) {
      rollback.describe().forEach(System.out::println);
      if (switcher != null) {
        System.out.println("on A: ALTER DATABASE/ROLE ... RESET default_transaction_read_only (lift the fence cutover 2 left)");
        switcher.describeBlock().forEach(l -> System.out.println("block writes: " + l));
        switcher.describeRepoint(appOnA).forEach(l -> System.out.println("repoint: " + l));
        switcher.describeUnblock().forEach(l -> System.out.println("unblock: " + l));
      }
      return 0;
    }
    if (switcher == null) {
      print(rollback.run(Duration.ofSeconds(timeoutSeconds)));
      return 0;
    }
    DatabaseFence fenceOnA = new DatabaseFence(() -> a.connect(Purpose.FENCE), DatabaseFence.Options.of(p.app().user()));
    switcher.blockWrites();
    long blocked = System.nanoTime();
    try {
      Rollback.Result result = rollback.run(Duration.ofSeconds(timeoutSeconds));
      print(result);
      if (!result.sequences().ok()) {
        throw new IllegalStateException("A's sequences are not T's (" + result.sequences() + "); the app stays on T");
      }
      System.out.println("A's fence: " + fenceOnA.lift().summary()); // cutover 2 left A read-only for the app
      switcher.repoint(appOnA);
    } finally {
      switcher.unblock(); // on failure before the repoint the app stays on T
      System.out.printf("writes blocked for %.2f s%n", (System.nanoTime() - blocked) / 1e9);
    }
    System.out.println("app points to " + appOnA.redactedUrl());
    return 0;
  }

  private static void print(Rollback.Result r) {
    System.out.println("A applied T's position " + r.caughtUp().target() + " (waited " + r.caughtUp().waited().toMillis() + " ms)");
    System.out.println(r.sequences());
    r.teardown().forEach(System.out::println);
  }
}
