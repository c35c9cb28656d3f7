package io.pgferry.controller.link;

import io.pgferry.proto.Goal;
import java.util.Map;

/**
 * The goals the controller assigned, one per node, so a restarted (or newly elected) controller sends the same goals
 * again. Blocking: call from worker threads or before the event loops run. {@link #save} replaces them all; a store
 * shared by several controllers refuses it ({@link StoreSuperseded}) when another controller wrote them since this
 * one last loaded or saved them.
 */
public interface GoalRecords {
  Map<String, Goal> load();

  void save(Map<String, Goal> goals);
}
