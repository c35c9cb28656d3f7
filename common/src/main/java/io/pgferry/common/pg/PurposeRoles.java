package io.pgferry.common.pg;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which purposes of an endpoint log in as another role than the endpoint's user: the controller's dedicated
 * least-privilege role on A and B for its reads, while the endpoint's user (the bootstrap superuser) keeps the work
 * only a superuser may do. {@link PgConnections} picks the user by purpose, so a session's role follows from why it
 * is opened, never from the caller. {@link #NONE}: every purpose as the endpoint's user.
 */
public record PurposeRoles(String role, Set<Purpose> purposes) {
  public static final PurposeRoles NONE = new PurposeRoles("", Set.of());

  public PurposeRoles {
    purposes = purposes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(purposes));
    if (!purposes.isEmpty() && (role == null || role.isEmpty())) {
      throw new IllegalArgumentException("a role is needed for " + purposes);
    }
  }

  /** The role a session for {@code purpose} logs in as: {@link #role()} for the routed purposes, else {@code user}. */
  public String userFor(Purpose purpose, String user) {
    return purposes.contains(purpose) ? role : user;
  }
}
