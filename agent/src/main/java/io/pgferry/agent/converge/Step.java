package io.pgferry.agent.converge;

/** One idempotent step of a transition: it checks whether its effect is already there before acting. */
public interface Step {
  String name();

  /** Makes the step's effect true. Returns true when it had to act, false when it found the work already done. */
  boolean ensure(NodeContext ctx) throws Exception;

  static Step of(String name, Ensure body) {
    return new Step() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public boolean ensure(NodeContext ctx) throws Exception {
        return body.ensure(ctx);
      }
    };
  }

  @FunctionalInterface
  interface Ensure {
    boolean ensure(NodeContext ctx) throws Exception;
  }
}
