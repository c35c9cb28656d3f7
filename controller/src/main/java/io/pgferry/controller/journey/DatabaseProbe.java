package io.pgferry.controller.journey;

/** Can pgferry reach this database, and what is it? Blocking; call from workers. */
public interface DatabaseProbe {
  /** Connects and returns {@code server_version_num} (e.g. 150004); throws with the driver's message otherwise. */
  int serverVersionNum() throws Exception;

  /** Where it is, without secrets (for messages). */
  String describe();
}
