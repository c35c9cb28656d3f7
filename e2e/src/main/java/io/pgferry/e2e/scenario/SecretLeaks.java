package io.pgferry.e2e.scenario;

import io.pgferry.e2e.demo.HtmlReport;
import io.pgferry.e2e.rig.ControllerApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Whether any output of a journey holds a secret it used (#13: no error, journal record, API answer, log line or
 * report ever contains one): every file under the given roots (logs, the controller's state dir with its journal, the
 * saved API answers and report.html, the scenario's transcript) is searched for each secret's value.
 */
public final class SecretLeaks {
  /** What the run's API answers are saved as, under {@code logs/api/}. */
  private static final List<String> APIS = List.of("/api/journey", "/api/nodes", "/api/lag-history");

  private SecretLeaks() {}

  /** Saves the controller's API answers and its status page as report.html under {@code dir}, for {@link #find}. */
  public static void saveAnswers(ControllerApi api, Path dir) throws IOException {
    Files.createDirectories(dir);
    for (String path : APIS) {
      Files.writeString(dir.resolve(path.substring(1).replace('/', '_') + ".json"), api.text(path).orElse(""));
    }
    HtmlReport.write(api, dir.resolve("report.html"));
  }

  /**
   * One line per hit, "{@code file}: holds the {@code name}" (never the value); empty when no file holds any.
   * {@code secrets}: name -> value; a blank value is not searched for.
   */
  public static List<String> find(Map<String, String> secrets, List<Path> roots) {
    List<String> hits = new ArrayList<>();
    for (Path root : roots) {
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
          String text;
          try {
            text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
          } catch (NoSuchFileException gone) {
            continue; // a file removed while the run goes on (a temp file)
          }
          secrets.forEach((name, value) -> {
            if (value != null && !value.isBlank() && text.contains(value)) {
              hits.add(f + ": holds the " + name);
            }
          });
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return hits;
  }
}
