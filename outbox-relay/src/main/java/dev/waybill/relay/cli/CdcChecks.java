package dev.waybill.relay.cli;

import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.dialect.LogicalDecodingSql;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.relay.RelayConfig;
import dev.waybill.relay.internal.EmitterPrivileges;
import dev.waybill.relay.internal.LogicalSlot;
import dev.waybill.relay.internal.LogicalSlot.SlotState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The CDC relay's prerequisites on PostgreSQL: {@code wal_level}, free replication slots and WAL
 * senders, the role's REPLICATION attribute and heartbeat privilege, the slot (plugin, database)
 * and the publication (tables), and the WAL the slot holds back. Reads only; creates nothing.
 */
final class CdcChecks {
  static final String GROUP = "cdc";

  private CdcChecks() {}

  static void check(DataSource ds, RelayConfig config, long slotLagWarning, List<DoctorCheck> out) {
    Optional<LogicalDecodingSql> maybeSql = LogicalDecodingSql.of(config.database().dialect());
    if (maybeSql.isEmpty()) {
      out.add(
          DoctorCheck.failed(
              GROUP,
              "database",
              "relay.mode=cdc needs PostgreSQL (logical decoding); db.url is not a"
                  + " jdbc:postgresql: URL",
              "set relay.mode=polling, or point db.url at PostgreSQL"));
      return;
    }
    LogicalDecodingSql sql = maybeSql.get();
    RelayConfig.CdcConfig cdc = config.cdc();
    String slot = cdc.slot();
    try (Connection c = ds.getConnection()) {
      LogicalSlot.Prerequisites pre = LogicalSlot.prerequisites(c, sql);
      String walLevel = pre.walLevel();
      int maxSlots = pre.maxSlots();
      int maxSenders = pre.maxSenders();
      long slotsUsed = pre.slotsUsed();
      long sendersUsed = pre.sendersUsed();
      String role = pre.role();
      String database = pre.database();
      boolean mayReplicate = pre.mayReplicate();
      out.add(
          "logical".equals(walLevel)
              ? DoctorCheck.ok(GROUP, "wal_level", "logical")
              : DoctorCheck.failed(
                  GROUP,
                  "wal_level",
                  "wal_level is '" + walLevel + "', logical decoding needs logical",
                  "ALTER SYSTEM SET wal_level = logical (or set it in postgresql.conf) and"
                      + " restart PostgreSQL"));
      Optional<SlotState> state = LogicalSlot.state(ds, sql, slot);
      String slotUse = slotsUsed + " of max_replication_slots = " + maxSlots + " in use";
      out.add(
          state.isEmpty() && slotsUsed >= maxSlots
              ? DoctorCheck.failed(
                  GROUP,
                  "max_replication_slots",
                  slotUse + ", none free for slot '" + slot + "'",
                  "raise max_replication_slots (restart needed) or drop an unused slot")
              : DoctorCheck.ok(GROUP, "max_replication_slots", slotUse));
      out.add(
          sendersUsed >= maxSenders
              ? DoctorCheck.failed(
                  GROUP,
                  "max_wal_senders",
                  sendersUsed + " of max_wal_senders = " + maxSenders + " in use",
                  "raise max_wal_senders (restart needed)")
              : DoctorCheck.ok(
                  GROUP,
                  "max_wal_senders",
                  sendersUsed + " of max_wal_senders = " + maxSenders + " in use"));
      out.add(
          mayReplicate
              ? DoctorCheck.ok(GROUP, "REPLICATION", "role " + role + " may replicate")
              : DoctorCheck.failed(
                  GROUP,
                  "REPLICATION",
                  "role " + role + " has no REPLICATION attribute",
                  "as a superuser: ALTER ROLE " + role + " REPLICATION"));
      boolean messageMode = config.outbox().writeMode() == OutboxConfig.WriteMode.MESSAGE;
      for (String w : EmitterPrivileges.check(ds, sql, messageMode)) {
        out.add(DoctorCheck.warning(GROUP, "pg_logical_emit_message", w, "see the detail"));
      }
      slot(c, sql, cdc, database, state, slotLagWarning, out);
      publication(c, sql, config, out);
    } catch (SQLException e) {
      out.add(
          DoctorCheck.failed(
              GROUP,
              "prerequisites",
              "cannot read the replication settings: " + e.getMessage(),
              "see the cause"));
    }
  }

  private static void slot(
      Connection c,
      LogicalDecodingSql sql,
      RelayConfig.CdcConfig cdc,
      String database,
      Optional<SlotState> state,
      long lagWarning,
      List<DoctorCheck> out)
      throws SQLException {
    String slot = cdc.slot();
    String name = "slot " + slot;
    if (state.isEmpty()) {
      out.add(
          cdc.create()
              ? DoctorCheck.warning(
                  GROUP,
                  name,
                  "does not exist; the relay creates it at start (relay.cdc.create=true)",
                  "none needed when the outbox table is empty at the relay's first start")
              : DoctorCheck.failed(
                  GROUP,
                  name,
                  "does not exist and relay.cdc.create=false",
                  "SELECT pg_create_logical_replication_slot('"
                      + slot
                      + "', 'pgoutput'), or set relay.cdc.create=true"));
      return;
    }
    String plugin;
    String slotDb;
    try (PreparedStatement st = c.prepareStatement(sql.slotSql())) {
      st.setString(1, slot);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return; // dropped meanwhile
        }
        plugin = rs.getString(1);
        slotDb = rs.getString(2);
      }
    }
    if (!"pgoutput".equals(plugin)) {
      out.add(
          DoctorCheck.failed(
              GROUP,
              name,
              "uses plugin '" + plugin + "', the relay needs pgoutput",
              "choose another relay.cdc.slot, or drop this slot if nothing else uses it"));
      return;
    }
    if (!database.equals(slotDb)) {
      out.add(
          DoctorCheck.failed(
              GROUP,
              name,
              "belongs to database '" + slotDb + "', not '" + database + "'",
              "set relay.cdc.slot to a name unique in the cluster"));
      return;
    }
    SlotState s = state.get();
    out.add(
        DoctorCheck.ok(
            GROUP,
            name,
            "pgoutput, " + (s.active() ? "read by pid " + s.activePid() : "no reader now")));
    String held = "slot " + slot + " holds " + s.retainedBytes() + " bytes of WAL";
    out.add(
        s.retainedBytes() > lagWarning
            ? DoctorCheck.warning(
                GROUP,
                "WAL held",
                held
                    + " (more than "
                    + lagWarning
                    + ")"
                    + (s.active() ? "" : ", no relay reads it"),
                s.active()
                    ? "the relay is behind: see its publish rate and Kafka's health"
                    : "start the CDC relay, or drop the slot if no relay will read it"
                        + " (SELECT pg_drop_replication_slot('"
                        + slot
                        + "')): it keeps WAL until the disk fills")
            : DoctorCheck.ok(GROUP, "WAL held", held));
  }

  private static void publication(
      Connection c, LogicalDecodingSql sql, RelayConfig config, List<DoctorCheck> out)
      throws SQLException {
    String publication = config.cdc().publication();
    String name = "publication " + publication;
    boolean exists;
    try (PreparedStatement st = c.prepareStatement(sql.publicationExistsSql())) {
      st.setString(1, publication);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        exists = rs.getLong(1) > 0;
      }
    }
    List<SqlIdentifier> wanted =
        List.of(config.outbox().tables().outboxTable(), config.outbox().tables().deadLetterTable());
    if (!exists) {
      String ddl = sql.createPublicationSql(SqlIdentifier.of(publication), wanted);
      out.add(
          config.cdc().create()
              ? DoctorCheck.warning(
                  GROUP,
                  name,
                  "does not exist; the relay creates it at start (relay.cdc.create=true)",
                  "none needed if the relay's role owns the tables; else run " + ddl)
              : DoctorCheck.failed(
                  GROUP,
                  name,
                  "does not exist and relay.cdc.create=false",
                  "as the tables' owner: " + ddl));
      return;
    }
    Set<String> have = new HashSet<>();
    try (PreparedStatement st = c.prepareStatement(sql.publicationTablesSql())) {
      st.setString(1, publication);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String q = rs.getString(1);
          have.add(q.substring(q.indexOf('.') + 1));
        }
      }
    }
    List<SqlIdentifier> missing = wanted.stream().filter(t -> !have.contains(t.name())).toList();
    out.add(
        missing.isEmpty()
            ? DoctorCheck.ok(GROUP, name, "covers " + wanted)
            : DoctorCheck.failed(
                GROUP,
                name,
                "lacks table " + missing.get(0).sql(),
                "as the tables' owner: "
                    + sql.addTableToPublicationSql(SqlIdentifier.of(publication), missing.get(0))));
  }
}
