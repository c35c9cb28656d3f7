package io.pgferry.controller.journey;

import java.io.IOException;
import java.util.Optional;

/** The applied plan's text, kept so a restarted (or newly elected) controller continues the same journey. */
public interface PlanCopy {
  Optional<String> read() throws IOException;

  /** Replaces it; a shared store refuses ({@link StoreSuperseded}) when another controller wrote it since this one read it. */
  void write(String planText) throws IOException;
}
