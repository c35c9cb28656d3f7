package io.pgferry.common.pg;

import java.util.EnumMap;
import java.util.Map;

/** The timeouts per purpose: the purpose's defaults, except where an operator's plan overrides them. */
public final class ConnectionLimits {
  public static final ConnectionLimits DEFAULTS = new ConnectionLimits(Map.of());

  private final Map<Purpose, Timeouts> overrides;

  private ConnectionLimits(Map<Purpose, Timeouts> overrides) {
    this.overrides = overrides.isEmpty() ? Map.of() : new EnumMap<>(overrides);
  }

  public static ConnectionLimits of(Map<Purpose, Timeouts> overrides) {
    return overrides.isEmpty() ? DEFAULTS : new ConnectionLimits(overrides);
  }

  public Timeouts of(Purpose purpose) {
    return overrides.getOrDefault(purpose, purpose.defaults());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConnectionLimits l && l.overrides.equals(overrides);
  }

  @Override
  public int hashCode() {
    return overrides.hashCode();
  }

  @Override
  public String toString() {
    return overrides.isEmpty() ? "defaults" : overrides.toString();
  }
}
