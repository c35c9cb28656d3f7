package io.pgferry.controller.link;

import io.pgferry.proto.Hello;
import java.util.Map;

/**
 * Where each node's PostgreSQL listens, as its agent last said in its Hello (host, port, major version,
 * capabilities; not the goal or state it held then), and the bootstrap superuser its Status named (the role the
 * controller's certificate logs in as: Endpoints.byCertificate), so a restarted controller can run the steps of a
 * journey it resumes before the agents have redialled (docs/ha.md, "What a restart costs"). A cache: an agent's
 * Hello and Status always replace it, and losing it costs only that wait. Blocking: worker threads, or before the
 * event loops run.
 */
public interface AddressRecords {
  Map<String, KnownNode> load();

  void save(Map<String, KnownNode> nodes);

  /** What is kept of one node. */
  record KnownNode(Hello hello, String bootstrapSuperuser) {
    public KnownNode {
      hello = addressOf(hello);
      bootstrapSuperuser = bootstrapSuperuser == null ? "" : bootstrapSuperuser;
    }
  }

  /** Keeps nothing (a controller that starts with no address known waits for the agents' Hellos). */
  AddressRecords NONE = new AddressRecords() {
    @Override
    public Map<String, KnownNode> load() {
      return Map.of();
    }

    @Override
    public void save(Map<String, KnownNode> nodes) {}
  };

  /** The part of a Hello worth remembering: what names the node and its PostgreSQL, not what it held or was. */
  static Hello addressOf(Hello hello) {
    return hello.toBuilder().clearCurrentGoal().clearCurrentState().build();
  }
}
