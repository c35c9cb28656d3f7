package io.pgferry.controller.journey;

import java.util.Map;

/** The outcome of a pure decision over a snapshot: go on, keep waiting (and why), or give up (and why). */
public sealed interface Verdict {
  record Ready(String summary, Map<String, String> evidence) implements Verdict {}

  record Waiting(String progress) implements Verdict {}

  record Failed(String reason) implements Verdict {}
}
