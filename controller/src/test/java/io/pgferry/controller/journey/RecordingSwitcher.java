package io.pgferry.controller.journey;

import io.pgferry.controller.switching.AppSwitcher;
import io.pgferry.controller.switching.DatabaseEndpoint;
import io.pgferry.controller.switching.SwitchException;
import java.util.ArrayList;
import java.util.List;

/** Records the switch calls the engine makes (no outside system behind it); can be told to fail one action. */
public final class RecordingSwitcher implements AppSwitcher {
  final List<String> calls = new ArrayList<>();
  DatabaseEndpoint current = new DatabaseEndpoint("source.example", 5432, "appdb", "app", null);
  String failOn;
  Runnable onBlock = () -> { };

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public synchronized void blockWrites() throws SwitchException {
    act("block");
    onBlock.run();
  }

  @Override
  public synchronized void repoint(DatabaseEndpoint target) throws SwitchException {
    act("repoint " + target.host() + ":" + target.port());
    current = target;
  }

  @Override
  public synchronized void unblock() throws SwitchException {
    act("unblock");
  }

  @Override
  public synchronized DatabaseEndpoint current() {
    return current;
  }

  private void act(String call) throws SwitchException {
    calls.add(call);
    if (failOn != null && call.startsWith(failOn)) {
      throw new SwitchException(call + " failed on purpose");
    }
  }

  @Override
  public List<String> describeBlock() {
    return List.of("block");
  }

  @Override
  public List<String> describeRepoint(DatabaseEndpoint target) {
    return List.of("to " + target.host());
  }

  @Override
  public List<String> describeUnblock() {
    return List.of("unblock");
  }
}
