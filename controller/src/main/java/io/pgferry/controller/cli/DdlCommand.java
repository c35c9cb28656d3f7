package io.pgferry.controller.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "ddl", mixinStandardHelpOptions = true,
    description = "Answers a DDL statement recorded on A that T's apply worker cannot run (`pgferry status` names it with its"
        + " number N): `ddl skip N` after applying it on T by hand (or when T must not have it), `ddl retry N` once T was fixed."
        + " Both restart apply on T at once.")
public final class DdlCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "skip or retry")
  String action;

  @Parameters(index = "1", description = "the statement's number N")
  long id;

  @Mixin
  ControllerOptions controller;

  @Override
  public Integer call() {
    if (!action.equals("skip") && !action.equals("retry")) {
      System.err.println("ddl: the action is skip or retry, not " + action);
      return 2;
    }
    System.out.println(controller.client().post("api/journey/ddl/" + action, Map.of("id", id)).path("message").asText());
    return 0;
  }
}
