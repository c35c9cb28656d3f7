package io.pgferry.agent.recovery;

import java.util.ArrayList;
import java.util.List;

/**
 * A delimited block pgferry owns inside a file someone else owns (postgresql.conf, pg_hba.conf). Everything
 * outside the markers is kept byte for byte; the block goes at the top or the bottom when it is new.
 */
public final class ManagedBlock {
  public static final String BEGIN = "# BEGIN pgferry managed (rewritten by pgferry-agent; edit outside this block)";
  public static final String END = "# END pgferry managed";

  public enum Position { TOP, BOTTOM }

  private ManagedBlock() {}

  /** {@code text} with the managed block holding exactly {@code lines}; an empty list removes the block. */
  public static String apply(String text, List<String> lines, Position position) {
    List<String> body = new ArrayList<>();
    if (!lines.isEmpty()) {
      body.add(BEGIN);
      body.addAll(lines);
      body.add(END);
    }
    String block = body.isEmpty() ? "" : String.join("\n", body) + "\n";
    int begin = text.indexOf(BEGIN);
    if (begin >= 0) {
      int end = text.indexOf(END, begin);
      if (end < 0) {
        throw new IllegalStateException("found '" + BEGIN + "' without '" + END + "'; repair the file by hand");
      }
      int after = end + END.length();
      if (after < text.length() && text.charAt(after) == '\n') {
        after++;
      }
      return text.substring(0, begin) + block + text.substring(after);
    }
    if (block.isEmpty()) {
      return text;
    }
    if (position == Position.TOP) {
      return block + text;
    }
    return text.isEmpty() || text.endsWith("\n") ? text + block : text + "\n" + block;
  }

  public static boolean present(String text) {
    return text.contains(BEGIN);
  }
}
