package io.pgferry.controller.journey;

import io.pgferry.controller.link.AddressRecords;
import io.pgferry.controller.link.GoalRecords;
import java.io.IOException;
import java.time.Clock;

/**
 * Everything the controller keeps durably: the journal, the node goals, the plan copy, and who leads (and, as a cache,
 * where each node's PostgreSQL listens). {@link FileStore}
 * (the default, {@code store: {kind: embedded}}) keeps today's files in the state dir for one controller;
 * {@link EtcdStore} ({@code kind: etcd}) keeps them in an etcd cluster shared by several controllers, one of which
 * leads. See docs/ha.md.
 */
public interface ControllerStore extends AutoCloseable {
  /** Opens the journal (blocking; reads all its records). */
  JournalStore openJournal(Clock clock) throws IOException;

  GoalRecords goals();

  PlanCopy planCopy();

  /** Where each node's PostgreSQL listens, as its agent last said (a cache: see {@link AddressRecords}). */
  AddressRecords addresses();

  /** Where the state is, for messages ("/var/lib/pgferry", "etcd /pgferry/prod"). */
  String where();

  @Override
  void close();
}
