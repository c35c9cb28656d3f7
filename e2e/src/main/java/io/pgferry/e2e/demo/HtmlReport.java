package io.pgferry.e2e.demo;

import io.pgferry.e2e.rig.ControllerApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The controller's status page saved as one file: its HTML with the stylesheet and script inlined and the three API
 * answers it renders (journey, nodes, lag history) embedded as a snapshot, so it shows the run (phases, journal,
 * the lag chart) after the controller is gone.
 */
public final class HtmlReport {
  private static final List<String> APIS = List.of("/api/journey", "/api/nodes", "/api/lag-history", "/api/control-plane");

  private HtmlReport() {}

  /** Empty when the controller did not answer (nothing is written then). */
  public static Optional<Path> write(ControllerApi api, Path file) throws IOException {
    Optional<String> page = api.text("/");
    Optional<String> css = api.text("/status/status.css");
    Optional<String> js = api.text("/status/status.js");
    if (page.isEmpty() || css.isEmpty() || js.isEmpty()) {
      return Optional.empty();
    }
    StringBuilder snapshot = new StringBuilder("{\"taken_at\":\"" + Instant.now() + "\"");
    for (String path : APIS) {
      snapshot.append(",\"").append(path).append("\":").append(api.text(path).orElse("null"));
    }
    snapshot.append('}');
    String html = page.get()
        .replace("<link rel=\"stylesheet\" href=\"/status/status.css\">", "<style>\n" + css.get() + "</style>")
        .replace("<script src=\"/status/status.js\"></script>", "<script>window.PGFERRY_SNAPSHOT = "
            + snapshot.toString().replace("</", "<\\/") + ";</script>\n<script>\n" + js.get().replace("</script", "<\\/script")
            + "</script>");
    Files.writeString(file, html);
    return Optional.of(file);
  }
}
