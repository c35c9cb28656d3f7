package io.pgferry.e2e.scenario;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgferry.common.Command;
import io.pgferry.e2e.rig.JournalFile;
import io.pgferry.e2e.rig.Rig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs the journey as an operator would: `pgferry apply --plan F --detach`, then follows the controller's journal
 * and /api/journey until the journey stops, firing {@link JourneyHook}s when their step starts and telling a person
 * each phase as it starts and ends.
 */
final class JourneyDriver {
  /** JourneyStatus.state values at which the engine no longer runs on its own. */
  private static final Set<String> STOPPED = Set.of("WAITING", "FINISHED", "FAILED", "STOPPED", "HELD");
  private static final Duration CLI_TIMEOUT = Duration.ofMinutes(1);

  private final Rig rig;
  private final JournalFile journal;
  private final Consumer<String> say;
  /** Hooks fire once, also when the journey is followed again after a hold. */
  private final Set<JourneyHook> fired = new HashSet<>();
  /** Journal records already told, also across a hold. */
  private final Set<Long> told = new HashSet<>();

  JourneyDriver(Rig rig, Consumer<String> say) {
    this.rig = rig;
    this.journal = rig.journal();
    this.say = say;
  }

  /** `pgferry apply --no-hold` (the demo and the tests run straight through the cutovers) unless {@code hold}. */
  void apply(Path plan, boolean hold) {
    List<String> args = new ArrayList<>(List.of("apply", "--plan", plan.toString(), "--detach"));
    if (!hold) {
      args.add("--no-hold");
    }
    cli(args);
  }

  /** `pgferry proceed --detach [--at TIME]`. */
  void proceed(String at) {
    List<String> args = new ArrayList<>(List.of("proceed", "--detach"));
    if (at != null) {
      args.addAll(List.of("--at", at));
    }
    cli(args);
  }

  void resume() {
    cli(List.of("resume", "--detach"));
  }

  private void cli(List<String> args) {
    Command.Result r = rig.pgferryCli(args, CLI_TIMEOUT);
    if (!r.ok()) {
      throw new IllegalStateException("pgferry " + String.join(" ", args) + " exited " + r.exitCode() + ": "
          + (r.stderr() + r.stdout()).strip());
    }
  }

  /** Follows the journey until it stops; returns the last /api/journey answer. */
  JsonNode followUntilStopped(Duration timeout, List<JourneyHook> hooks) throws Exception {
    List<JourneyHook> pending = new ArrayList<>(hooks);
    pending.removeAll(fired);
    long deadline = System.nanoTime() + timeout.toNanos();
    JsonNode last = null;
    while (true) {
      // the status first, then the journal: a stop or hold it shows comes after every step the journal read holds,
      // so no hook of a step started before it is left unfired (a hook that runs long, a controller kill, would
      // otherwise let a hold seen after it return before the hooks of steps started meanwhile)
      JsonNode now = rig.api().journey().orElse(last);
      List<JournalFile.Entry> entries = journal.read();
      for (JournalFile.Entry e : entries) {
        if (told.add(e.seq())) {
          tell(e);
        }
      }
      for (JourneyHook hook : List.copyOf(pending)) {
        if (entries.stream().anyMatch(e -> e.is("STEP_STARTED", hook.afterStepStarted()))) {
          pending.remove(hook);
          fired.add(hook);
          say.accept("  >> " + hook.name());
          hook.action().run();
        }
      }
      last = now;
      if (last != null && STOPPED.contains(last.path("state").asText()) && !handingOver(last)) {
        // let the journal catch up with what the status says
        journal.read().stream().filter(e -> told.add(e.seq())).forEach(this::tell);
        return last;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the journey did not stop within " + timeout.toSeconds() + " s; last status: "
            + (last == null ? "(none)" : last.path("state").asText() + " " + last.path("phase").asText() + " "
            + last.path("step").asText() + ": " + last.path("progress").asText()));
      }
      Thread.sleep(100);
    }
  }

  /** Waits until the journey no longer holds before {@code phase} (a proceed, --at included, took effect). */
  void awaitNoLongerHeld(String phase, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode s = rig.api().journey().orElse(null);
      if (s != null && !("HELD".equals(s.path("state").asText()) && phase.equals(s.path("phase").asText()))) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the journey still holds before " + phase + " after " + timeout.toSeconds() + " s");
      }
      Thread.sleep(100);
    }
  }

  /**
   * An engine stopped to hand over to a failover or a rebuild ("stopped in PHASE before STEP for failover started:
   * ...") is followed at once by the engine that runs it: STOPPED between the two is no end of the journey.
   */
  private static boolean handingOver(JsonNode status) {
    String message = status.path("message").asText();
    return "STOPPED".equals(status.path("state").asText()) && message.startsWith("stopped in ")
        && (message.contains(" for failover started: ") || message.contains(" for rebuilding "));
  }

  private void tell(JournalFile.Entry e) {
    switch (e.event()) {
      case "PHASE_STARTED" -> say.accept("  " + e.phase() + " ...");
      case "PHASE_DONE" -> say.accept("  " + e.phase() + " done");
      case "STEP_FAILED" -> say.accept("  " + e.step() + " failed: " + e.message());
      case "JOURNEY_STOPPED" -> say.accept("  journey stopped: " + e.message());
      case "HOLD_REACHED" -> say.accept("  held before " + e.phase());
      case "PROCEED_REQUESTED" -> say.accept("  " + e.message());
      default -> { }
    }
  }

  JournalFile journal() {
    return journal;
  }
}
