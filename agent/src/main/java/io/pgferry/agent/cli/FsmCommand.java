package io.pgferry.agent.cli;

import io.pgferry.agent.archive.replica.ArchiveExtension;
import io.pgferry.agent.converge.Transition;
import io.pgferry.agent.state.FsmExport;
import io.pgferry.agent.state.TransitionTable;
import picocli.CommandLine.Command;

@Command(name = "fsm", mixinStandardHelpOptions = true,
    description = "Print the agent's node state machine: per-state traits and the transition table (as pg_autoctl do fsm).",
    subcommands = {FsmCommand.ListTable.class, FsmCommand.Dot.class})
public final class FsmCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** The table the daemon runs: the archive engine's rows first, then the defaults. */
  static TransitionTable<Transition.Factory> table() {
    return ArchiveExtension.table(null);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "The states and transitions as text tables.")
  static final class ListTable implements Runnable {
    @Override
    public void run() {
      System.out.print(FsmExport.list(table()));
    }
  }

  @Command(name = "dot", mixinStandardHelpOptions = true, description = "The transitions as a Graphviz digraph (dot -Tsvg).")
  static final class Dot implements Runnable {
    @Override
    public void run() {
      System.out.print(FsmExport.dot(table()));
    }
  }
}
