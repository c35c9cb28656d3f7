package io.pgferry.controller.switching;

/** A database the app can point at. {@code passwordRef} is a secret reference (env:NAME or file:PATH), never a secret. */
public record DatabaseEndpoint(String host, int port, String dbname, String user, String passwordRef) {
  /** postgres:// URL without password (safe to log). */
  public String redactedUrl() {
    return "postgres://" + user + "@" + host + ":" + port + "/" + dbname;
  }
}
