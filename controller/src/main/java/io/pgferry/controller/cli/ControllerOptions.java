package io.pgferry.controller.cli;

import picocli.CommandLine.Option;

/** How a CLI command finds the controller daemon. */
final class ControllerOptions {
  @Option(names = "--controller", defaultValue = "${env:PGFERRY_CONTROLLER:-http://127.0.0.1:7402}",
      description = "the controller's HTTP address (default: $PGFERRY_CONTROLLER or ${DEFAULT-VALUE})")
  String controller;

  ControllerClient client() {
    return new ControllerClient(controller);
  }
}
