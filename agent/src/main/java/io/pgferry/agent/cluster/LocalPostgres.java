package io.pgferry.agent.cluster;

import io.pgferry.agent.access.LocalAccess;
import io.pgferry.common.Lsn;
import io.pgferry.common.pg.Purpose;
import io.pgferry.proto.Replica;
import io.pgferry.proto.Slot;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the local PostgreSQL over pgjdbc for PG 11..17, over the local socket as the bootstrap superuser with peer
 * authentication ({@link LocalAccess}: no password). Keeps one connection and reconnects after errors.
 * Blocking: worker threads only; not thread-safe (one observer owns it).
 */
public final class LocalPostgres implements AutoCloseable {
  private final LocalAccess access;
  private Connection conn;

  public LocalPostgres(LocalAccess access) {
    this.access = access;
  }

  /** A fresh connection (the caller closes it). */
  public Connection connect() throws SQLException {
    return access.endpoint("postgres").connect(Purpose.PROBE);
  }

  private Connection conn() throws SQLException {
    if (conn == null || conn.isClosed()) {
      conn = connect();
    }
    return conn;
  }

  public boolean isInRecovery() throws SQLException {
    return queryBool("select pg_is_in_recovery()");
  }

  /** Reads everything the Status reports. {@code running} comes from the caller (pid file check). */
  public Observation observe(long atNanos, boolean running) {
    try {
      return read(atNanos, running);
    } catch (SQLException e) {
      closeQuietly();
      return Observation.unreachable(atNanos, running, e.getMessage());
    }
  }

  private Observation read(long atNanos, boolean running) throws SQLException {
    Connection c = conn();
    int versionNum;
    boolean inRecovery;
    String syncNames;
    long walSenderTimeoutMs;
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("select current_setting('server_version_num')::int, pg_is_in_recovery(),"
             + " current_setting('synchronous_standby_names'),"
             + " (select setting::bigint from pg_settings where name = 'wal_sender_timeout')")) {
      rs.next();
      versionNum = rs.getInt(1);
      inRecovery = rs.getBoolean(2);
      syncNames = rs.getString(3);
      walSenderTimeoutMs = rs.getLong(4);
    }
    Lsn receive = Lsn.INVALID;
    Lsn replay = Lsn.INVALID;
    Lsn current = Lsn.INVALID;
    long lagMs = -1;
    int timeline;
    String wrStatus = "";
    String upstream = "";
    if (inRecovery) {
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("select pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
               + " (extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000)::bigint,"
               + " (select timeline_id from pg_control_checkpoint())")) {
        rs.next();
        receive = Lsn.parse(rs.getString(1));
        replay = Lsn.parse(rs.getString(2));
        long ms = rs.getLong(3);
        lagMs = rs.wasNull() ? -1 : ms;
        timeline = rs.getInt(4);
      }
      // received_tli, sender_host and sender_port exist with these names from PG 11 on (PG 13 renamed only the LSN columns)
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("select status, received_tli, sender_host, sender_port from pg_stat_wal_receiver")) {
        if (rs.next()) {
          wrStatus = nz(rs.getString(1));
          timeline = Math.max(timeline, rs.getInt(2));
          String h = rs.getString(3);
          upstream = h == null ? "" : h + ":" + rs.getInt(4);
        }
      }
      if (receive.isValid() && receive.compareTo(replay) <= 0) {
        lagMs = 0; // everything received is replayed: no replay lag, whatever the last commit's age
      }
    } else {
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("select pg_current_wal_lsn()::text, pg_walfile_name(pg_current_wal_lsn())")) {
        rs.next();
        current = Lsn.parse(rs.getString(1));
        timeline = Integer.parseInt(rs.getString(2).substring(0, 8), 16);
      }
    }
    long lagBytes = inRecovery && receive.isValid() ? receive.bytesAfter(replay) : (inRecovery ? -1 : 0);
    Lsn position = inRecovery ? replay : current;
    return new Observation(atNanos, running, true, versionNum, inRecovery, timeline, receive, replay, current, lagBytes,
        inRecovery ? lagMs : 0, wrStatus, upstream, slots(c, position), replicas(c, versionNum), nz(syncNames), walSenderTimeoutMs, "");
  }

  private static List<Slot> slots(Connection c, Lsn position) throws SQLException {
    List<Slot> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select * from pg_replication_slots order by slot_name")) {
      ResultSetMetaData md = rs.getMetaData();
      boolean hasSynced = false;
      for (int i = 1; i <= md.getColumnCount(); i++) {
        hasSynced |= md.getColumnName(i).equals("synced");
      }
      while (rs.next()) {
        Lsn restart = Lsn.parse(rs.getString("restart_lsn"));
        Slot.Builder b = Slot.newBuilder()
            .setName(rs.getString("slot_name"))
            .setType(nz(rs.getString("slot_type")))
            .setActive(rs.getBoolean("active"))
            .setRestartLsn(restart.isValid() ? restart.toString() : "")
            .setConfirmedFlushLsn(nz(rs.getString("confirmed_flush_lsn")))
            .setPlugin(nz(rs.getString("plugin")))
            .setDatabase(nz(rs.getString("database")))
            .setRetainedBytes(restart.isValid() && position.isValid() ? position.bytesAfter(restart) : 0);
        if (hasSynced) {
          // Slot.synced means "usable after a promotion" (as SlotGuard reports it): PG 17 sets pg_replication_slots.synced
          // as soon as the sync worker creates the slot, but a synced slot still temporary is dropped at promotion and
          // an invalidated one cannot be used (FailoverSlotCheck)
          b.setSynced(rs.getBoolean("synced") && !rs.getBoolean("temporary") && rs.getString("invalidation_reason") == null);
        }
        out.add(b.build());
      }
    }
    return out;
  }

  private static List<Replica> replicas(Connection c, int versionNum) throws SQLException {
    List<Replica> out = new ArrayList<>();
    // reply_time (PG 12+): the failsafe's evidence that the standby still streams from here (docs/failsafe.md)
    String replyAge = versionNum >= 120000
        ? "coalesce((extract(epoch from clock_timestamp() - reply_time) * 1000)::bigint, -1)" : "-1::bigint";
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("select application_name, client_addr::text, state, sync_state, replay_lsn::text, "
             + replyAge + " from pg_stat_replication order by application_name")) {
      while (rs.next()) {
        out.add(Replica.newBuilder().setApplicationName(nz(rs.getString(1))).setClientAddr(nz(rs.getString(2)))
            .setState(nz(rs.getString(3))).setSyncState(nz(rs.getString(4))).setReplayLsn(nz(rs.getString(5)))
            .setReplyAgeMs(rs.getLong(6)).build());
      }
    }
    return out;
  }

  private boolean queryBool(String sql) throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  private void closeQuietly() {
    try {
      if (conn != null) {
        conn.close();
      }
    } catch (SQLException ignored) {
      // the connection is gone either way
    }
    conn = null;
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
