package io.pgferry.controller.journey;

import io.pgferry.controller.link.NodeDirectory;
import io.pgferry.controller.switching.AppSwitcher;

/**
 * The outside systems the journey acts on, each behind a narrow interface. {@code nodes} may be null when only
 * describing (`pgferry plan`).
 */
public record JourneyPorts(NodeDirectory nodes, AppSwitcher switcher, WriteFence fence, SourceDatabase source,
                           DatabaseProbe target, ArchiveInspector archive, CollationProbe collation) {
  public JourneyPorts(NodeDirectory nodes, AppSwitcher switcher, WriteFence fence, SourceDatabase source,
                      DatabaseProbe target, ArchiveInspector archive) {
    this(nodes, switcher, fence, source, target, archive, CollationProbe.JDBC);
  }
}
