package io.pgferry.controller.journey;

/**
 * What the operator sees while the journey holds before a cutover: the lag that cutover would have to wait out now
 * (cutover 1: A behind the archive, B behind A; cutover 2: T behind the primary). Run on the engine's thread every
 * few seconds while held; touches nothing.
 */
@FunctionalInterface
public interface HoldProbe {
  String lag(StepContext ctx) throws Exception;
}
