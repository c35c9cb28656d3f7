package io.pgferry.controller.journey;

import io.pgferry.common.Secrets;
import io.pgferry.common.UsageException;
import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.common.pg.Purpose;
import io.pgferry.controller.goals.Goals;
import io.pgferry.controller.link.LinkDirectory;
import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.link.NodeDirectory.NodeView;
import io.pgferry.controller.plan.Plan;
import io.pgferry.controller.plan.PlanDiff;
import io.pgferry.controller.plan.PlanLoader;
import io.pgferry.controller.plan.SecretCheck;
import io.pgferry.controller.pg.Endpoints;
import io.pgferry.controller.sql.ServerReadings;
import io.pgferry.controller.sql.copy.CopyMetrics;
import io.pgferry.controller.sql.logical.DdlLedger;
import io.pgferry.controller.sql.logical.LogicalNames;
import io.pgferry.proto.NodeState;
import io.pgferry.proto.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * The journey inside the controller daemon: keeps the plan copy and the journal in the store, runs the engine
 * on its own thread, and answers apply / resume / abort / status (the HTTP API calls these from worker threads).
 * One journey per store (state dir, or etcd prefix).
 */
public final class JourneyService implements AutoCloseable {
  /** The plan copy's name (in messages; the embedded store's file in its state dir). */
  public static final String PLAN_COPY = "plan.yaml";

  private final ControllerStore store;
  private final NodeDirectory nodes;
  private final JourneyAssembly assembly;
  private final Clock clock;
  private final JourneyListener listener = new JourneyLog();
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "pgferry-journey");
    t.setDaemon(true);
    return t;
  });
  private final Intents intents = new Intents();
  private JourneyEngine engine;
  /** The plan copy {@link #prepareResume} parsed, for {@link #resumeAfterRestart} (guarded by this). */
  private PlanLoader.Loaded prepared;
  /** Volatile as well: {@link #stepDown} reads it without the lock, which a read from a cut-off etcd may hold. */
  private volatile Future<JourneyEngine.Snapshot> running;
  /** The plan copy's text and the plan parsed from it: parsed once per text, not at every read. */
  private volatile ParsedPlan parsed;

  private record ParsedPlan(String text, Plan plan) {}
  private JournalStore journal;
  private String planName;

  public JourneyService(ControllerStore store, NodeDirectory nodes, JourneyAssembly assembly, Clock clock) {
    this.store = store;
    this.nodes = nodes;
    this.assembly = assembly;
    this.clock = clock;
  }

  /** Starts the journey of this plan, holding before the cutovers its {@code hold} lists (all by default). */
  public String apply(String fileName, String planText) throws IOException {
    return apply(fileName, planText, false);
  }

  /**
   * Starts the journey of this plan (or continues it, when the state dir holds the same plan's journey). The holds
   * (the plan's {@code hold}, none with {@code noHold}) are journaled, so a restarted controller keeps them.
   */
  public synchronized String apply(String fileName, String planText, boolean noHold) throws IOException {
    ensureNotRunning();
    Set<String> known = nodes.all().stream().map(NodeView::nodeId).collect(Collectors.toSet());
    Duration lease = nodes instanceof LinkDirectory d ? d.lease() : null; // failover.max_lease must cover it
    PlanLoader.Loaded loaded = PlanLoader.parse(fileName, planText, known, lease);
    SecretCheck.check(loaded, fileName); // here, where the journey resolves them, not in the CLI's environment
    Optional<String> copy = store.planCopy().read();
    if (copy.isPresent()) {
      String earlier = copy.get();
      JournalState st = journal().state();
      if (!earlier.equals(planText) && st.started() && !st.finished()) {
        throw new UsageException("a journey of another plan is in progress in " + store.where() + "; `pgferry resume` it,"
            + " change the parts no finished step used with `pgferry apply --amend FILE`, or `pgferry abort` it and use"
            + " another state_dir");
      }
    }
    store.planCopy().write(planText);
    planName = fileName;
    boolean resumed = journal().state().started();
    String holds = noHold ? "" : loaded.plan().hold().stream().map(Enum::name).collect(Collectors.joining(","));
    journal().append(JournalRecord.Event.HOLDS_SET, null, null, holds.isEmpty() ? "no holds: the cutovers start as soon"
        + " as the journey is ready" + (noHold ? " (--no-hold)" : "") : "holds before " + holds + " until `pgferry proceed`",
        Map.of("holds", holds));
    start(loaded);
    return (resumed ? "journey of " + fileName + " resumed" : "journey of " + fileName + " started")
        + (loaded.warnings().isEmpty() ? "" : " (" + loaded.warnings().size() + " warning(s) in the plan)");
  }

  /**
   * `pgferry apply --amend`: replaces the journey's plan while it runs, holds or is stopped, when no started step used
   * the keys that change ({@link AmendmentRule}); the journal records it (PLAN_AMENDED, the new plan's sha256), so
   * `resume` takes the amended plan. A running engine stops at its next safe point and goes on with the new plan.
   * Returns the difference and what happens next.
   */
  public String amend(String fileName, String planText) throws Exception {
    Future<JourneyEngine.Snapshot> stopping = null;
    PlanLoader.Loaded loaded;
    synchronized (this) {
      Set<String> known = nodes.all().stream().map(NodeView::nodeId).collect(Collectors.toSet());
      Duration lease = nodes instanceof LinkDirectory d ? d.lease() : null;
      loaded = PlanLoader.parse(fileName, planText, known, lease);
      SecretCheck.check(loaded, fileName);
      Optional<String> unchanged = amendable(planText);
      if (unchanged.isPresent()) {
        return unchanged.get();
      }
      if (running()) {
        Phase at = engine.snapshot().phase();
        if (at != null && JourneyTable.rule(at).hasUndo()
            && JourneyTable.rule(at).steps().stream().anyMatch(id -> journalStateUnchecked().step(id).starts() > 0)) {
          throw new UsageException("the journey is in " + at + ": amend the plan once it holds, stops or has passed the"
              + " cutover (stopping it now would undo the cutover)");
        }
        engine.requestHandOver("the plan's amendment"); // stops between two steps; the new engine goes on from there
        stopping = running;
      }
    }
    if (stopping != null) {
      stopping.get(10, TimeUnit.MINUTES);
    }
    synchronized (this) {
      ensureNotRunning();
      String previous = store.planCopy().read().orElseThrow();
      String answer;
      try {
        answer = recordAmendment(fileName, previous, planText, loaded);
      } catch (UsageException e) {
        if (stopping != null) { // a step started while the engine stopped used a changed key: go on with the old plan
          start(PlanLoader.parse(PLAN_COPY, previous, null));
        }
        throw e;
      }
      if (stopping != null) {
        start(loaded);
        return answer + "\nthe journey goes on with it";
      }
      return answer + "\n`pgferry resume` continues the journey with it";
    }
  }

  /** Empty when {@code planText} may replace the journey's plan; else why there is nothing to do. Throws when refused. */
  private Optional<String> amendable(String planText) throws IOException {
    Optional<String> copy = store.planCopy().read();
    JournalState st = journal().state();
    if (copy.isEmpty() || !st.started() || st.finished()) {
      throw new UsageException("no journey in progress in " + store.where() + " to amend; start one with `pgferry"
          + " apply --plan FILE`");
    }
    PlanDiff diff = PlanDiff.between(copy.get(), planText);
    if (diff.isEmpty()) {
      return Optional.of("the plan is the journey's plan already; nothing to amend");
    }
    List<String> refused = AmendmentRule.refusals(diff, st);
    if (!refused.isEmpty()) {
      throw new UsageException("amendment refused (nothing changed):\n" + shown(diff) + "\n"
          + refused.stream().map(r -> "refused: " + r).collect(Collectors.joining("\n")));
    }
    return Optional.empty();
  }

  private String recordAmendment(String fileName, String previous, String planText, PlanLoader.Loaded loaded)
      throws IOException {
    if (amendable(planText).isPresent()) {
      return "the plan is the journey's plan already; nothing to amend";
    }
    PlanDiff diff = PlanDiff.between(previous, planText);
    JournalState st = journal().state();
    store.planCopy().write(planText);
    planName = fileName;
    journal().append(JournalRecord.Event.PLAN_AMENDED, st.phase().orElse(null), null, "plan amended: "
        + String.join(", ", diff.keys()), Map.of("plan_sha256", JourneyEngine.sha256(planText),
        "previous_sha256", JourneyEngine.sha256(previous), "changed", String.join(",", diff.keys())));
    if (diff.keys().contains("hold")) {
      String holds = loaded.plan().hold().stream().map(Enum::name).collect(Collectors.joining(","));
      journal().append(JournalRecord.Event.HOLDS_SET, null, null, holds.isEmpty() ? "no holds (plan amended)"
          : "holds before " + holds + " until `pgferry proceed` (plan amended)", Map.of("holds", holds));
    }
    return "plan amended:\n" + shown(diff);
  }

  private static String shown(PlanDiff diff) {
    return diff.changes().stream().map(c -> "  " + c.line()).collect(Collectors.joining("\n"));
  }

  private JournalState journalStateUnchecked() {
    try {
      return journal().state();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Continues the journey of the plan copy in the state dir, from where the journal says it is. */
  public synchronized String resume() throws IOException {
    ensureNotRunning();
    Optional<String> copy = store.planCopy().read();
    if (copy.isEmpty()) {
      throw new UsageException("no journey to resume in " + store.where() + "; start one with `pgferry apply --plan FILE`");
    }
    PlanLoader.Loaded loaded = PlanLoader.parse(PLAN_COPY, copy.get(), null);
    SecretCheck.check(loaded, PLAN_COPY); // a resumed cutover must not find a secret gone half-way
    planName = planName == null ? PLAN_COPY : planName;
    start(loaded);
    return "journey resumed";
  }

  /**
   * `pgferry proceed [--at]`: lets the next held cutover start at {@code at} (now when null). The journey stands
   * before it or is still on its way there (a proceed given in advance); a later proceed replaces a scheduled one.
   * Refused when no cutover ahead is held, or the one ahead was already let go. Recorded in the journal, so it
   * survives a controller restart.
   */
  public synchronized String proceed(Instant at) throws IOException {
    JournalState st = journal().state();
    if (!st.started() || st.finished()) {
      throw new UsageException("no journey in progress; nothing to proceed");
    }
    Instant now = clock.instant();
    Instant when = at == null ? now : at;
    Phase standing = JourneyEngine.effectivePhase(st).map(p -> p == Phase.FAILOVER ? JourneyTable.rule(p).next() : p)
        .orElse(Phase.PREFLIGHT);
    Optional<Phase> next = st.holds().stream().filter(p -> p.compareTo(standing) >= 0).sorted().findFirst();
    if (next.isEmpty()) {
      throw new UsageException("no held cutover ahead (the journey stands at " + standing + "; holds: "
          + (st.holds().isEmpty() ? "none" : st.holds()) + ")");
    }
    Phase p = next.get();
    if (!st.holdsBefore(p, now)) {
      throw new UsageException(p + " is not held any more (it was let go at " + st.proceedAt(p).map(Instant::toString)
          .orElse("its start") + "); run `pgferry proceed` again once it is done, for the next cutover");
    }
    journal().append(JournalRecord.Event.PROCEED_REQUESTED, p, null, "proceed with " + p + (at == null ? " now"
        : " at " + when), Map.of("at", when.toString()));
    boolean isRunning = engine != null && running != null && !running.isDone();
    if (isRunning) {
      engine.proceedRecorded();
    }
    String where = isRunning ? "" : "; the journey is not running: `pgferry resume` continues it";
    return (at == null ? p + " starts now" : p + " starts at " + when) + (standing == p ? "" : " (once the journey gets"
        + " there; it stands at " + standing + ")") + where;
  }

  /**
   * `pgferry finish`: after DONE, decommissions what the journey leaves running (the subscription, pgferry's slots
   * and publication, A and B) on the engine's thread; each step journaled, so running it again is harmless.
   */
  public synchronized String finish() throws IOException {
    ensureNotRunning();
    JournalState st = journal().state();
    Optional<String> copy = store.planCopy().read();
    if (!st.finished() || copy.isEmpty()) {
      throw new UsageException("the journey is not finished; `pgferry finish` decommissions only after DONE");
    }
    PlanLoader.Loaded loaded = PlanLoader.parse(PLAN_COPY, copy.get(), null);
    planName = planName == null ? PLAN_COPY : planName;
    JourneyEngine e = newEngine(loaded);
    running = worker.submit(e::finish);
    return st.decommissionedAt().isPresent() ? "already decommissioned; checking again" : "decommissioning";
  }

  /**
   * At controller start: a journey the controller left in the middle (killed, or stopped by its own shutdown) goes on
   * at once from where the journal says it is, as `pgferry resume` would, with a record saying so. A journey that
   * stopped for a person (failed, aborted, waiting for a phase this build lacks) stays stopped. Returns what it did.
   */
  public synchronized Optional<String> resumeAfterRestart() throws IOException {
    Optional<String> copy = store.planCopy().read();
    JournalState st = journal().state();
    if (!interruptedByRestart(st) || copy.isEmpty() || running()) {
      return Optional.empty();
    }
    PlanLoader.Loaded loaded = prepared != null && prepared.text().equals(copy.get()) ? prepared
        : PlanLoader.parse(PLAN_COPY, copy.get(), null);
    prepared = null;
    planName = planName == null ? PLAN_COPY : planName;
    String where = JourneyEngine.effectivePhase(st).map(Phase::name).orElse("(not started)");
    String msg = "resumed automatically after a controller restart at " + where;
    journal().append(JournalRecord.Event.DECISION, st.phase().orElse(null), null, msg,
        Map.of("reason", "controller_restart"));
    Logger.getLogger(JourneyService.class.getName()).info("journey " + msg);
    start(loaded);
    return Optional.of(msg);
  }

  /**
   * What {@link #resumeAfterRestart} runs first, done ahead while the agents reconnect: reads the journal and the
   * plan copy, parses the plan and builds the journey's ports and steps (as `pgferry plan` describes them: nothing is
   * touched) and loads the JDBC driver. A restarted JVM loads those classes here rather than on the app's write gap
   * (docs/ha.md, "What a restart costs"). Returns whether there is a journey to resume.
   */
  public synchronized boolean prepareResume() throws IOException {
    Optional<String> copy = store.planCopy().read();
    if (!interruptedByRestart(journal().state()) || copy.isEmpty() || running()) {
      return false;
    }
    PlanLoader.Loaded loaded = PlanLoader.parse(PLAN_COPY, copy.get(), null);
    prepared = loaded; // resumeAfterRestart takes it if the plan copy is still this text
    try {
      Class.forName("org.postgresql.Driver");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("the PostgreSQL JDBC driver is not on the class path", e);
    }
    warmUpJdbc(loaded.plan());
    assembly.steps(loaded.plan(), assembly.ports(loaded.plan(), nodes));
    return true;
  }

  /**
   * One read-only session with each node whose goal is PRIMARY (where the controller kept its address: the resumed
   * cutover's next step writes there, e.g. `cutover_1.lift_fence_on_a`), then with T, on a thread of its own while
   * the steps are built and the agents reconnect: the first connection of a fresh JVM (the driver's protocol, TLS
   * with the controller's client certificate, SCRAM: all cold) took 0.5 s on 2 loaded cores, inside the resumed
   * cutover's first step. Best effort: a failure changes nothing.
   */
  private void warmUpJdbc(Plan plan) {
    List<Supplier<PgEndpoint>> endpoints = new ArrayList<>();
    for (NodeView v : nodes.all()) {
      if (v.goal() != null && v.goal().getState() == NodeState.PRIMARY && Goals.saidHello(v)) {
        endpoints.add(() -> Endpoints.admin(plan, v, plan.app().dbname()));
      }
    }
    endpoints.add(() -> Endpoints.target(plan));
    Thread t = new Thread(() -> {
      for (var endpoint : endpoints) {
        try (Connection c = endpoint.get().connect(Purpose.PROBE)) {
          ServerReadings.roundTrip(c);
        } catch (Exception | LinkageError e) {
          Logger.getLogger(JourneyService.class.getName()).fine("JDBC warm-up skipped: " + e);
        }
      }
    }, "jdbc-warmup");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Whether the engine runs the phase the journal stands in and that phase is {@code phase}: a restarted controller
   * starts its HTTP side once the phase it resumed is over (ControllerDaemon), so the phase's steps - the app's
   * writes often blocked meanwhile - do not share the CPU with it.
   */
  public synchronized boolean runningIn(Phase phase) throws IOException {
    return running() && journal().state().phase().filter(phase::equals).isPresent();
  }

  /** The phase the journal stands in (empty before the journey starts). */
  public synchronized Optional<Phase> phaseNow() throws IOException {
    return journal().state().phase();
  }

  /** Started, not finished, and no stop recorded other than the controller's own shutdown (kill -9 leaves none). */
  static boolean interruptedByRestart(JournalState st) {
    if (!st.started() || st.finished()) {
      return false;
    }
    return st.lastStop().map(r -> r.evidence() != null && "shutdown".equals(r.evidence().get("reason"))).orElse(true);
  }

  /**
   * `pgferry ddl skip|retry N`: T's answer to a carried DDL statement its apply worker cannot run. skip: the statement
   * is not run on T (applied there by hand, or unwanted); retry: T was fixed, run it again now. Both restart apply.
   */
  public String ddl(String action, long id) throws Exception {
    Plan plan = planOrNull();
    if (plan == null) {
      throw new UsageException("no journey plan in " + store.where() + ": nothing to skip or retry");
    }
    DdlLedger ledger = new DdlLedger(null, Endpoints.target(plan), LogicalNames.DEFAULT);
    return switch (action) {
      case "skip" -> ledger.skip(id) ? "DDL #" + id + " marked skipped on T (it will not run there); apply restarted"
          : "DDL #" + id + " was already applied or skipped on T; apply restarted";
      case "retry" -> {
        ledger.retry(id);
        yield "apply restarted on T: DDL #" + id + " runs again";
      }
      default -> throw new UsageException("ddl: unknown action " + action + " (skip or retry)");
    };
  }

  /**
   * `pgferry abort` through the API: records the intent for the controller loop, which runs {@link #abort} in its
   * next cycle (at once: the intent wakes it), and answers what that will do. Without a loop: {@link #abort} now.
   */
  public String requestAbort() throws IOException {
    if (!intents.attached()) {
      return abort();
    }
    String answer;
    synchronized (this) {
      JournalState st = journal().state();
      if (running()) {
        answer = "abort requested: the journey stops at the next safe point (in cutover 1 after the promotion: once"
            + " the app points to the new primary)";
      } else if (!st.started() || st.finished() || store.planCopy().read().isEmpty()) {
        return "no journey in progress; nothing to abort";
      } else {
        answer = "abort: stopping the journey where it stands";
      }
    }
    intents.offer(new Intent.Abort());
    return answer;
  }

  /**
   * Running: asks the engine to stop at the next safe point. Not running (e.g. after a controller crash in the
   * middle of cutover 1): runs the engine only to stop it at once, which undoes a half-done cutover and records
   * where things are.
   */
  public synchronized String abort() throws IOException {
    if (engine == null || running == null || running.isDone()) {
      JournalState st = journal().state();
      Optional<String> copy = store.planCopy().read();
      if (!st.started() || st.finished() || copy.isEmpty()) {
        return "no journey in progress; nothing to abort";
      }
      PlanLoader.Loaded loaded = PlanLoader.parse(PLAN_COPY, copy.get(), null);
      start(loaded, true);
      return "abort: stopping the journey where it stands";
    }
    engine.requestAbort();
    return "abort requested: the journey stops at the next safe point (in cutover 1 after the promotion: once the"
        + " app points to the new primary)";
  }

  /**
   * `pgferry failover` through the API: refused at once (with the reason) where the journal shows no way to FAILOVER;
   * else the intent is recorded for the controller loop, which runs {@link #failover} off its thread, and the call
   * answers without waiting for a running engine to stop. Without a loop: {@link #failover} now.
   */
  public String requestFailover(String reason, Map<String, String> evidence) throws Exception {
    if (!intents.attached()) {
      return failover(reason, evidence);
    }
    synchronized (this) {
      JournalState st = journal().state();
      if (!JourneyTable.failoverOpen(st)) {
        return failoverRefusal(st);
      }
    }
    intents.offer(new Intent.Failover(reason, evidence));
    return "failover started: " + reason;
  }

  /** The intents API calls recorded for the controller loop. */
  public Intents intents() {
    return intents;
  }

  /** What the controller loop reads of the journey in one cycle: one consistent, immutable view. */
  public record View(Optional<Plan> plan, JournalState journal, boolean running) {}

  public View view() throws IOException {
    JournalStore j;
    boolean isRunning;
    synchronized (this) {
      j = journal();
      isRunning = running();
    }
    // the reads (from etcd, with store: etcd) outside the lock: stepDown and the API never wait for them
    return new View(Optional.ofNullable(planOrNull()), j.state(), isRunning);
  }

  /**
   * Enters FAILOVER (an automatic decision, or `pgferry failover`) and runs the engine from there. A running engine
   * is first asked to stop at its next safe point. Refused (message returned, nothing run) when the journey does not
   * stand after cutover 1 and before the app is on T, or a failover was already entered: a resumed failover is
   * finished by `resume`, never started twice.
   */
  public String failover(String reason, Map<String, String> evidence) throws Exception {
    return restartEngine(st -> true, e -> e.enterFailover(reason, evidence), JourneyService::failoverRefusal,
        "failover started: " + reason);
  }

  private static String failoverRefusal(JournalState st) {
    return "failover not entered: the journey stands at "
        + JourneyEngine.effectivePhase(st).map(Phase::name).orElse("(not started)")
        + (st.phaseStartedAt(Phase.FAILOVER).isPresent() ? " and a failover was already entered (`pgferry resume`"
        + " finishes it)" : "; failover is possible from " + JourneyTable.failoverRouteText());
  }

  /**
   * A node lost before cutover 1 (a decision of the controller loop): the running engine is stopped at its next
   * safe point (a half-done cutover 1 is undone: the app stays on the source), the journey goes back to the phase
   * that builds the node, with rebuild in its goal, and runs on from there. Refused (message returned) past cutover 1's
   * point of no return.
   */
  public String rebuild(String nodeId, String reason, Map<String, String> evidence) throws Exception {
    return restartEngine(JourneyService::rebuildReachable, e -> e.enterRebuild(nodeId, reason, evidence), st -> "no rebuild of " + nodeId
        + ": the journey stands at " + JourneyEngine.effectivePhase(st).map(Phase::name).orElse("(not started)")
        + "; a lost node is rebuilt by the journey only before cutover 1 promotes A", "rebuilding " + nodeId + ": " + reason);
  }

  /** Whether a lost node would be rebuilt by the journey now (before cutover 1 promotes A). */
  public synchronized boolean rebuildReachable() throws IOException {
    return rebuildReachable(journal().state());
  }

  private static boolean rebuildReachable(JournalState st) {
    return JourneyEngine.effectivePhase(st).filter(p -> JourneyTable.rebuildReachableFrom(p, st)).isPresent();
  }

  /**
   * Whether the journal shows a journey that started, did not finish and recorded no stop: one interrupted by a
   * controller that died or lost the lead (store: etcd), which the (new) leader continues.
   */
  public synchronized boolean interruptedJourney() throws IOException {
    JournalState st = journal().state();
    return st.started() && !st.finished() && st.lastStop().isEmpty() && !running();
  }

  /**
   * This controller lost the lead (store: etcd): interrupts the engine at once, without waiting; whatever it tries to
   * record next is refused by the store, so it stops without an undo and the new leader continues from the journal.
   */
  public void stepDown() {
    Future<JourneyEngine.Snapshot> f = running;
    if (f != null) {
      f.cancel(true);
    }
  }

  /** Whether the engine is running now (the controller loop rebuilds a lost replica only then). */
  public synchronized boolean running() {
    return running != null && !running.isDone();
  }

  /**
   * Stops the running engine at its next safe point (only when {@code admissible} holds for the journal now, so a
   * refusal does not stop a journey that was going on), lets {@code enter} record the decision, runs on from there.
   */
  private String restartEngine(Predicate<JournalState> admissible,
                               Predicate<JourneyEngine> enter,
                               Function<JournalState, String> refusal, String started) throws Exception {
    Future<JourneyEngine.Snapshot> f;
    synchronized (this) {
      if (!admissible.test(journal().state())) {
        return refusal.apply(journal().state());
      }
      if (engine != null && running != null && !running.isDone()) {
        engine.requestHandOver(started);
      }
      f = running;
    }
    if (f != null) {
      f.get(10, TimeUnit.MINUTES);
    }
    synchronized (this) {
      ensureNotRunning();
      Optional<String> copy = store.planCopy().read();
      if (copy.isEmpty()) {
        throw new UsageException("no journey in " + store.where() + "; apply a plan first");
      }
      PlanLoader.Loaded loaded = PlanLoader.parse(PLAN_COPY, copy.get(), null);
      planName = planName == null ? PLAN_COPY : planName;
      JourneyEngine e = newEngine(loaded);
      if (!enter.test(e)) {
        return refusal.apply(journal().state());
      }
      running = worker.submit(e::run);
      return started;
    }
  }

  /** Records a decision of the controller loop (evidence included) in the journal. */
  public synchronized void decision(String message, Map<String, String> evidence) throws IOException {
    JournalStore j = journal();
    j.append(JournalRecord.Event.DECISION, j.state().phase().orElse(null), null,
        Secrets.redact(message), evidence);
  }

  /** Where the journey stands (the next phase once the last entered is done), and whether FAILOVER was entered. */
  public synchronized Optional<Phase> standingPhase() throws IOException {
    return JourneyEngine.effectivePhase(journal().state());
  }

  public synchronized boolean failoverEntered() throws IOException {
    return journal().state().phaseStartedAt(Phase.FAILOVER).isPresent();
  }

  /** The applied plan (the state dir's copy), if any. */
  public Optional<Plan> plan() {
    return Optional.ofNullable(planOrNull());
  }

  /** Waits for the running engine to stop (tests, shutdown). */
  public JourneyEngine.Snapshot awaitStopped() throws Exception {
    Future<JourneyEngine.Snapshot> f;
    synchronized (this) {
      f = running;
    }
    return f == null ? null : f.get();
  }

  /** The phase in progress (or last entered), for the pgferry_phase metric. */
  public synchronized Optional<Phase> currentPhase() {
    try {
      JourneyEngine.Snapshot snap = engine == null ? null : engine.snapshot();
      return snap != null && snap.phase() != null ? Optional.of(snap.phase()) : journal().state().phase();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public synchronized JourneyStatus status() throws IOException {
    JournalState st = journal().state();
    JourneyEngine.Snapshot snap = engine == null ? null : engine.snapshot();
    String state;
    String message = null;
    if (running != null && !running.isDone()) {
      state = snap != null && snap.state() == JourneyEngine.State.HELD ? "HELD" : "RUNNING";
      message = snap == null ? null : snap.message();
    } else if (snap != null && snap.state() != JourneyEngine.State.IDLE) {
      state = snap.state().name();
      message = snap.message();
    } else if (!st.started()) {
      state = "IDLE";
    } else if (st.finished()) {
      state = "FINISHED";
    } else if (st.lastStop().isPresent()) {
      state = "STOPPED";
      message = st.lastStop().get().message();
    } else {
      state = "INTERRUPTED";
      message = "the controller stopped while the journey ran; it resumes by itself when the controller starts";
    }
    Phase phase = snap != null && snap.phase() != null ? snap.phase() : st.phase().orElse(null);
    List<JourneyStatus.PhaseLine> phases = new ArrayList<>();
    for (Phase p : Phase.values()) {
      String s = st.phaseDone(p) ? "done" : p == phase ? (state.equals("HELD") ? "held" : state.equals("RUNNING") ? "running"
          : state.equals("FAILED") ? "failed" : "stopped") : "not_reached";
      var started = st.phaseStartedAt(p);
      Double seconds = started.map(at -> Duration.between(at, st.phaseDoneAt(p).orElse(clock.instant()))
          .toMillis() / 1000.0).orElse(null);
      phases.add(new JourneyStatus.PhaseLine(p.name(), s, s.equals("not_reached") ? null : seconds));
    }
    List<JournalRecord> all = journal().records();
    Plan plan = planOrNull();
    List<JourneyStatus.NodeLine> nodeLines = new ArrayList<>();
    for (NodeView v : nodes.all()) {
      nodeLines.add(nodeLine(v, plan, clock.instant()));
    }
    JourneyStatus.Hold hold = state.equals("HELD") && phase != null ? new JourneyStatus.Hold(phase.name(),
        st.heldSince(phase).map(Instant::toString).orElse(null), st.proceedAt(phase).map(Instant::toString).orElse(null),
        snap.progress() == null ? null : snap.progress().replaceFirst("^lag: ", ""), engine.describe(phase)) : null;
    JourneyStatus.Summary summary = st.finished() ? JourneySummary.of(st, plan, nodes.all()) : null;
    return new JourneyStatus(state, phase == null ? null : phase.name(), snap == null ? null : snap.step(),
        snap == null ? null : snap.progress(), message, planName, phases, nodeLines,
        all.subList(Math.max(0, all.size() - 10), all.size()), hold, summary,
        snap != null && JourneyTable.LS_TABLE_COPY.equals(snap.step()) ? JourneyStatus.Copy.of(CopyMetrics.view())
            : null);
  }

  private Plan planOrNull() {
    try {
      Optional<String> copy = store.planCopy().read();
      if (copy.isEmpty()) {
        return null;
      }
      ParsedPlan p = parsed;
      if (p == null || !p.text().equals(copy.get())) {
        p = new ParsedPlan(copy.get(), PlanLoader.parse(PLAN_COPY, copy.get(), null).plan());
        parsed = p;
      }
      return p.plan();
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * A node whose link is down reports nothing: its last Status still holds the lease it had then, so the lease shown
   * is what this controller granted (0 once expired; -1 unknown), never a frozen "still running" one.
   */
  static JourneyStatus.NodeLine nodeLine(NodeView v, Plan plan, Instant now) {
    String role = plan == null ? "" : v.nodeId().equals(plan.nodes().archiveReplica()) ? "archive_replica"
        : v.nodeId().equals(plan.nodes().standby()) ? "standby" : "";
    Status s = v.status() == null ? Status.getDefaultInstance() : v.status();
    return new JourneyStatus.NodeLine(v.nodeId(), role, v.connected(), s.getState().name(),
        v.goal() == null ? "" : v.goal().getState().name(), v.goal() == null ? 0 : v.goal().getGeneration(),
        s.getInRecovery(), s.getTimeline(), s.getReplayLsn(), s.getCurrentLsn(), s.getReplayLagBytes(),
        s.hasArchive() ? s.getArchive().getLagSegments() : -1, s.getWalReceiverStatus(),
        s.getTransition(), s.getLastError(), v.connected() ? s.getLeaseRemainingMs()
            : v.leaseExpiresAt().map(t -> Math.max(0, Duration.between(now, t).toMillis())).orElse(-1L));
  }

  private void start(PlanLoader.Loaded loaded) throws IOException {
    start(loaded, false);
  }

  private JourneyEngine newEngine(PlanLoader.Loaded loaded) throws IOException {
    JourneyPorts ports = assembly.ports(loaded.plan(), nodes);
    engine = new JourneyEngine(loaded.plan(), loaded.text(), assembly.steps(loaded.plan(), ports), journal(),
        ports, clock, listener).withHoldProbes(assembly.holdProbes(loaded.plan(), ports));
    return engine;
  }

  private void start(PlanLoader.Loaded loaded, boolean abortAtOnce) throws IOException {
    JourneyEngine e = newEngine(loaded);
    if (abortAtOnce) {
      e.requestAbort();
    }
    running = worker.submit(e::run);
  }

  private void ensureNotRunning() {
    if (running != null && !running.isDone()) {
      throw new IllegalStateException("the journey is running (" + engine.snapshot().phase() + "); wait, or"
          + " `pgferry abort` it first");
    }
  }

  private JournalStore journal() throws IOException {
    if (journal == null) {
      journal = store.openJournal(clock);
    }
    return journal;
  }

  @Override
  public void close() throws IOException {
    worker.shutdownNow();
    try {
      worker.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeJournal();
  }

  private synchronized void closeJournal() throws IOException {
    if (journal != null) {
      journal.close();
    }
  }
}
