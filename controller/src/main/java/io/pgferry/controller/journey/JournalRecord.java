package io.pgferry.controller.journey;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/** One line of the journal. {@code at} is an ISO-8601 instant; {@code phase}/{@code step} are null when not about one. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JournalRecord(long seq, String at, Event event, String phase, String step, String message,
                            Map<String, String> evidence) {
  public enum Event {
    JOURNEY_STARTED, PHASE_STARTED, PHASE_DONE, STEP_STARTED, STEP_DONE, STEP_FAILED, STEP_INTERRUPTED,
    /** After an undo: the phase's steps count as not done, so a resume starts the phase afresh. */
    PHASE_RESET,
    ABORT_REQUESTED,
    /** A failover decision (A failed, B lost, durability dropped to async) with its evidence. */
    DECISION,
    /**
     * A node lost before cutover 1 (evidence {@code node}): from here on the phase that builds it gives it its goal
     * with {@code rebuild}, so a broken data dir is discarded and copied afresh.
     */
    REBUILD_REQUESTED,
    /**
     * The cutovers this journey holds before (evidence {@code holds}: comma-separated phases, empty for none), set by
     * each `pgferry apply` from the plan's {@code hold} (none with --no-hold).
     */
    HOLDS_SET,
    /** The journey stopped before a held cutover ({@code phase}) to wait for `pgferry proceed`. */
    HOLD_REACHED,
    /** `pgferry proceed` for {@code phase}: evidence {@code at}, the instant from which the cutover may start. */
    PROCEED_REQUESTED,
    /** `pgferry finish`: the journey's leftovers were decommissioned (each as a {@code finish.*} step). */
    DECOMMISSIONED,
    /**
     * `pgferry apply --amend`: the plan was changed in keys no started step used (evidence {@code plan_sha256} of the
     * new plan, {@code previous_sha256}, {@code changed}: the keys, comma-separated); the journey goes on with it.
     */
    PLAN_AMENDED,
    /** A running step saw something the operator must act on before it fails (e.g. A's disk filling with WAL). */
    WARNING,
    /** The engine stopped: aborted, failed, or waiting at a phase this build does not have. */
    JOURNEY_STOPPED,
    JOURNEY_FINISHED
  }
}
