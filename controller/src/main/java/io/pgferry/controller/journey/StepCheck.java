package io.pgferry.controller.journey;

import java.util.Map;

/** The answer to "has this step's effect happened?" after a restart. */
public sealed interface StepCheck {
  record Done(String summary, Map<String, String> evidence) implements StepCheck {}

  record NotDone(String summary) implements StepCheck {}

  record Unknown(String reason) implements StepCheck {}
}
