package io.pgferry.agent.archive.backup;

import java.io.PrintStream;

/** A one-line progress bar on stderr, redrawn at most every 200 ms; plain log lines when not on a terminal. */
public final class TerminalProgressBar implements Progress {
  private final PrintStream out;
  private final boolean terminal;
  private long lastDraw;
  private int lastPercentLogged = -1;

  public TerminalProgressBar(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  public static TerminalProgressBar forStderr() {
    return new TerminalProgressBar(System.err, System.console() != null);
  }

  @Override
  public synchronized void update(long done, long total, String message) {
    int percent = total > 0 ? (int) Math.min(100, done * 100 / total) : 0;
    long now = System.nanoTime();
    boolean finished = total > 0 && done >= total;
    if (terminal) {
      if (!finished && now - lastDraw < 200_000_000L) {
        return;
      }
      lastDraw = now;
      int width = 30;
      int filled = percent * width / 100;
      out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + percent + "% "
          + (done >> 20) + "/" + (total >> 20) + " MiB " + message + "   ");
      if (finished) {
        out.println();
      }
      out.flush();
    } else if (percent / 25 != lastPercentLogged / 25 || finished && lastPercentLogged != 100) {
      lastPercentLogged = percent;
      out.println(message + ": " + percent + "% (" + (done >> 20) + "/" + (total >> 20) + " MiB)");
    }
  }
}
