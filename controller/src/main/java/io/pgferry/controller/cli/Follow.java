package io.pgferry.controller.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.util.Objects;

/** Follows a running journey from the CLI: prints each new phase, step and progress line until it stops. */
final class Follow {
  static final int RUNNING = 3;

  private Follow() {}

  /** POSTs {@code path}, prints the controller's answer, then follows the journey unless {@code detach}. */
  static int postThenFollow(ControllerClient client, String path, boolean detach) {
    System.out.println(client.post(path).path("message").asText());
    return detach ? 0 : untilStopped(client, System.out);
  }

  static int untilStopped(ControllerClient client, PrintStream out) {
    String last = null;
    while (true) {
      JsonNode s = client.get("api/journey");
      String state = s.path("state").asText();
      String line = s.path("phase").asText("") + " " + s.path("step").asText("") + ": " + s.path("progress").asText("");
      if (!Objects.equals(line, last) && s.hasNonNull("step")) {
        out.println(line.strip());
        last = line;
      }
      if (!state.equals("RUNNING")) {
        StatusPrinter.print(s, out);
        return state.equals("FINISHED") || state.equals("WAITING") || state.equals("HELD") ? 0 : 1;
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return RUNNING;
      }
    }
  }
}
