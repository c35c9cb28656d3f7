package io.pgferry.e2e.demo;

import io.pgferry.controller.web.StatusPage;
import io.pgferry.e2e.rig.ControllerApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The controller's status page saved as one file: its HTML with the stylesheet and script inlined and the API
 * answers it renders (journey, nodes, lag history, control plane) embedded as a snapshot, so it shows the run
 * (phases, journal, the lag chart) after the controller is gone.
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
    Map<String, String> answers = new LinkedHashMap<>();
    for (String path : APIS) {
      answers.put(path, api.text(path).orElse("null"));
    }
    Files.writeString(file, render(page.get(), css.get(), js.get(), answers));
    return Optional.of(file);
  }

  /** The page of the controller's jar on the classpath, showing {@code answers} (API path to JSON; others: null). */
  public static String fromClasspath(Map<String, String> answers) {
    Map<String, String> all = new LinkedHashMap<>();
    APIS.forEach(path -> all.put(path, answers.getOrDefault(path, "null")));
    return render(StatusPage.asset("index.html"), StatusPage.asset("status.css"), StatusPage.asset("status.js"), all);
  }

  private static String render(String page, String css, String js, Map<String, String> answers) {
    StringBuilder snapshot = new StringBuilder("{\"taken_at\":\"" + Instant.now() + "\"");
    answers.forEach((path, json) -> snapshot.append(",\"").append(path).append("\":").append(json));
    snapshot.append('}');
    return page
        .replace("<link rel=\"stylesheet\" href=\"/status/status.css\">", "<style>\n" + css + "</style>")
        .replace("<script src=\"/status/status.js\"></script>", "<script>window.PGFERRY_SNAPSHOT = "
            + snapshot.toString().replace("</", "<\\/") + ";</script>\n<script>\n" + js.replace("</script", "<\\/script")
            + "</script>");
  }
}
