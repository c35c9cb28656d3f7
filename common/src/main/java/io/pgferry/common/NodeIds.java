package io.pgferry.common;

import java.util.regex.Pattern;

/**
 * The one rule for node ids (agent.yaml's node_id, the plan's nodes, the link's certificate CN agent-ID): 1-63
 * lowercase letters, digits and '-', not starting with '-' (a DNS label's shape, so it fits a certificate name).
 */
public final class NodeIds {
  public static final Pattern PATTERN = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  /** The rule in words, for messages. */
  public static final String RULE = "1-63 lowercase letters, digits and '-', not starting with '-'";

  private NodeIds() {}

  public static boolean valid(String nodeId) {
    return nodeId != null && PATTERN.matcher(nodeId).matches();
  }
}
