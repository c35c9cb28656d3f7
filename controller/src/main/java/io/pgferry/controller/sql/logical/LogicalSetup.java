package io.pgferry.controller.sql.logical;

import io.pgferry.common.pg.PgEndpoint;
import io.pgferry.controller.sql.SqlAction;
import io.pgferry.controller.sql.TableRef;
import io.pgferry.proto.HbaRule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * LOGICAL_SETUP as one list of idempotent actions, in order: replica identity FULL where the plan allows it, the
 * replication role on A, A's roles and schema on T (tables and their primary keys), the publication on A, the
 * subscription on T. Once the initial copy is done, {@link #postData()} builds the rest of the schema. The pg_hba entry for the
 * role is an agent goal matter: {@link #hbaRule} gives what the journey puts in A's Goal.hba_rules (before the
 * subscription is created).
 */
public final class LogicalSetup {
  /**
   * @param sourceAsSeenByTarget A's host/port/dbname as T reaches it (user and password ignored)
   * @param tables empty: publish all tables
   * @param failover PG 17 failover slot for the subscription
   */
  public record Options(LogicalNames names, String replicationPassword, List<TableRef> replicaIdentityFull, List<TableRef> tables,
                        PgEndpoint sourceAsSeenByTarget, Path clientBinDir, boolean failover) {
    public Options {
      names = names == null ? LogicalNames.DEFAULT : names;
      replicaIdentityFull = replicaIdentityFull == null ? List.of() : List.copyOf(replicaIdentityFull);
      tables = tables == null ? List.of() : List.copyOf(tables);
    }
  }

  private final ReplicaIdentityFull replicaIdentity;
  private final ReplicationRole role;
  private final TargetRoles targetRoles;
  private final SchemaCopy schema;
  private final Publication publication;
  private final Subscription subscription;
  private final PostDataBuild postData;

  public LogicalSetup(PgEndpoint source, PgEndpoint target, Options o) {
    this.replicaIdentity = new ReplicaIdentityFull(source, o.replicaIdentityFull());
    this.role = new ReplicationRole(source, o.names().role(), o.replicationPassword());
    this.targetRoles = new TargetRoles(source, target, o.names().role(), null, null);
    this.schema = new SchemaCopy(source, target, o.clientBinDir());
    this.publication = new Publication(source, o.names().publication(), o.tables());
    PgEndpoint seen = o.sourceAsSeenByTarget() == null ? source : o.sourceAsSeenByTarget();
    this.subscription = new Subscription(target, seen.withUser(o.names().role(), o.replicationPassword()), o.names().subscription(),
        o.names().slot(), o.names().publication(), true, o.failover());
    this.postData = new PostDataBuild(source, target, o.clientBinDir(), 0, "", null);
  }

  /** The actions in the order {@link #run()} takes them (each usable as its own journey step). */
  public List<SqlAction<?>> actions() {
    return List.of(replicaIdentity, role, targetRoles, schema, publication, subscription);
  }

  public List<String> describe() {
    List<String> out = new ArrayList<>();
    actions().forEach(a -> out.addAll(a.describe()));
    return out;
  }

  /** Runs every action; returns one line per action saying what it did. */
  public List<String> run() throws Exception {
    List<String> done = new ArrayList<>();
    done.add("replica identity FULL set on " + replicaIdentity.run());
    done.add("replication role: " + role.run());
    done.add("schema copy: " + schema.run());
    done.add("publication created: " + publication.run());
    done.add("subscription created: " + subscription.run());
    return done;
  }

  public HbaRule hbaRule(String targetCidr, String method) {
    return role.hbaRule(targetCidr, method);
  }

  public ReplicaIdentityFull replicaIdentity() {
    return replicaIdentity;
  }

  public ReplicationRole role() {
    return role;
  }

  public SchemaCopy schema() {
    return schema;
  }

  public Publication publication() {
    return publication;
  }

  public Subscription subscription() {
    return subscription;
  }

  /** The rest of A's schema, to run once every table is ready (not one of {@link #actions()}). */
  public PostDataBuild postData() {
    return postData;
  }
}
