package io.pgferry.controller.cli;

import picocli.CommandLine.Mixin;

/** How a journey command finds the controller: the same --controller / --config as `pgferry nodes`. */
final class ControllerOptions {
  @Mixin
  ControllerEndpoint endpoint = new ControllerEndpoint();

  ControllerClient client() {
    return new ControllerClient(endpoint.baseUri().toString(), endpoint.credentials());
  }
}
