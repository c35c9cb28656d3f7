package io.pgferry.controller.plan;

import io.pgferry.common.UsageException;
import java.util.List;
import java.util.stream.Collectors;

/** A plan with errors: every problem found, one per line, errors first. */
public final class PlanException extends UsageException {
  private final List<PlanProblem> problems;

  public PlanException(String fileName, List<PlanProblem> problems) {
    super(summary(fileName, problems));
    this.problems = List.copyOf(problems);
  }

  public List<PlanProblem> problems() {
    return problems;
  }

  private static String summary(String fileName, List<PlanProblem> problems) {
    long errors = problems.stream().filter(PlanProblem::isError).count();
    return fileName + ": " + errors + (errors == 1 ? " error" : " errors") + "; fix them and run again\n"
        + problems.stream().map(p -> p.format(fileName)).collect(Collectors.joining("\n"));
  }
}
