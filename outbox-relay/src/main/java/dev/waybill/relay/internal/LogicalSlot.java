package dev.waybill.relay.internal;

import dev.waybill.outbox.dialect.LogicalDecodingSql;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.TableNames;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CDC relay's replication slot and publication: prerequisite checks, creation, the replication
 * stream, heartbeats and lag figures. Slot and publication names are validated; every other value
 * is bound as a parameter. Not API.
 */
public final class LogicalSlot {
  private static final Logger LOG = LoggerFactory.getLogger(LogicalSlot.class);

  private final DataSource dataSource;
  private final LogicalDecodingSql sql;
  private final String slot;
  private final SqlIdentifier publication;
  private final TableNames tables;
  private final String instance;
  private final String url;
  private final String user;
  private final String password;
  private final String decodingMemory;
  private boolean missing;

  /**
   * @param dataSource ordinary connections (checks, creation, heartbeats, lag)
   * @param sql the dialect's logical decoding SQL
   * @param slot the slot name (validated)
   * @param publication the publication name
   * @param tables the outbox and dead-letter tables
   * @param instance the relay id, for messages
   * @param url JDBC URL for the replication connection
   * @param user its user
   * @param password its password
   * @param decodingMemory {@code logical_decoding_work_mem} for the replication session (checked by
   *     {@code RelayConfig.CdcConfig}), or {@code server} to keep the server's
   */
  public LogicalSlot(
      DataSource dataSource,
      LogicalDecodingSql sql,
      String slot,
      String publication,
      TableNames tables,
      String instance,
      String url,
      String user,
      String password,
      String decodingMemory) {
    this.dataSource = dataSource;
    this.sql = sql;
    this.slot = LogicalDecodingSql.checkSlotName(slot, "relay.cdc.slot");
    this.publication = SqlIdentifier.of(publication);
    this.tables = tables;
    this.instance = instance;
    this.url = url;
    this.user = user;
    this.password = password;
    this.decodingMemory = decodingMemory;
  }

  /** The slot name. */
  public String name() {
    return slot;
  }

  /** The publication name. */
  public String publication() {
    return publication.name();
  }

  /**
   * Checks logical decoding prerequisites, then creates the publication and the slot when missing
   * and {@code create} allows it. Returns the problems (empty: ready), each an actionable sentence.
   */
  public List<String> prepare(boolean create) throws SQLException {
    List<String> problems = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      boolean slotExists;
      String plugin = null;
      String slotDb = null;
      try (PreparedStatement st = c.prepareStatement(sql.slotSql())) {
        st.setString(1, slot);
        try (ResultSet rs = st.executeQuery()) {
          slotExists = rs.next();
          if (slotExists) {
            plugin = rs.getString(1);
            slotDb = rs.getString(2);
          }
        }
      }
      Prerequisites pre = prerequisites(c, sql);
      String walLevel = pre.walLevel();
      int maxSlots = pre.maxSlots();
      int maxSenders = pre.maxSenders();
      boolean mayReplicate = pre.mayReplicate();
      long slotsUsed = pre.slotsUsed();
      long sendersUsed = pre.sendersUsed();
      String role = pre.role();
      String database = pre.database();
      int version = pre.version();
      if (version < 140000) {
        problems.add(
            "PostgreSQL "
                + version / 10000
                + " is too old: the CDC relay needs PostgreSQL 14 or newer (pgoutput"
                + " 'messages' option)");
      }
      if (!"logical".equals(walLevel)) {
        problems.add(
            "wal_level is '"
                + walLevel
                + "', logical decoding needs wal_level = logical: set it (ALTER SYSTEM SET"
                + " wal_level = logical, or wal_level = logical in postgresql.conf or a conf.d"
                + " drop-in) and restart PostgreSQL");
      }
      if (!mayReplicate) {
        problems.add(
            "role '"
                + role
                + "' has no REPLICATION privilege: run ALTER ROLE "
                + role
                + " REPLICATION as a superuser (and allow it in pg_hba.conf if you restrict"
                + " replication connections)");
      }
      // creating the slot takes two for a while: the slot and its initial snapshot's marker
      if (!slotExists && slotsUsed + (create ? 2 : 1) > maxSlots) {
        problems.add(
            "no free replication slot: "
                + slotsUsed
                + " of max_replication_slots = "
                + maxSlots
                + " are in use; raise max_replication_slots (restart needed) or drop an unused"
                + " slot (SELECT slot_name, active FROM pg_replication_slots; SELECT"
                + " pg_drop_replication_slot('name'))"
                + (create
                    ? "; creating the slot needs two free ones until its initial snapshot is"
                        + " published"
                    : ""));
      }
      if (sendersUsed >= maxSenders) {
        problems.add(
            "no free WAL sender: "
                + sendersUsed
                + " of max_wal_senders = "
                + maxSenders
                + " are in use; raise max_wal_senders (restart needed)");
      }
      if (slotExists && !"pgoutput".equals(plugin)) {
        problems.add(
            "replication slot '"
                + slot
                + "' uses plugin '"
                + plugin
                + "', the relay needs pgoutput: choose another relay.cdc.slot, or drop it (SELECT"
                + " pg_drop_replication_slot('"
                + slot
                + "')) if nothing else uses it");
      }
      if (slotExists && !database.equals(slotDb)) {
        problems.add(
            "replication slot '"
                + slot
                + "' belongs to database '"
                + slotDb
                + "', not '"
                + database
                + "': set relay.cdc.slot to a name unique in the cluster");
      }
      if (!problems.isEmpty()) {
        return problems;
      }
      preparePublication(c, create, problems);
      if (!slotExists) {
        if (!create) {
          problems.add(
              "replication slot '"
                  + slot
                  + "' does not exist and relay.cdc.create=false: create it with SELECT"
                  + " pg_create_logical_replication_slot('"
                  + slot
                  + "', 'pgoutput') or set relay.cdc.create=true");
        } else {
          missing = true;
        }
      }
    }
    return problems;
  }

  private void preparePublication(Connection c, boolean create, List<String> problems)
      throws SQLException {
    List<SqlIdentifier> wanted = List.of(tables.outboxTable(), tables.deadLetterTable());
    Set<String> have = new HashSet<>();
    boolean exists;
    try (PreparedStatement st = c.prepareStatement(sql.publicationExistsSql())) {
      st.setString(1, publication.name());
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        exists = rs.getLong(1) > 0;
      }
    }
    if (exists) {
      try (PreparedStatement st = c.prepareStatement(sql.publicationTablesSql())) {
        st.setString(1, publication.name());
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            String q = rs.getString(1);
            have.add(q.substring(q.indexOf('.') + 1));
          }
        }
      }
    }
    List<SqlIdentifier> missing = new ArrayList<>();
    for (SqlIdentifier t : wanted) {
      if (!have.contains(t.name())) {
        missing.add(t);
      }
    }
    if (exists && missing.isEmpty()) {
      return;
    }
    String ddl =
        exists
            ? sql.addTableToPublicationSql(publication, missing.get(0))
            : sql.createPublicationSql(publication, wanted);
    if (!create) {
      problems.add(
          "publication '"
              + publication.name()
              + "' "
              + (exists ? "lacks table " + missing.get(0).sql() : "does not exist")
              + " and relay.cdc.create=false: run "
              + ddl
              + " (as the tables' owner) or set relay.cdc.create=true");
      return;
    }
    try (Statement st = c.createStatement()) {
      if (exists) {
        for (SqlIdentifier t : missing) {
          st.execute(sql.addTableToPublicationSql(publication, t));
        }
      } else {
        st.execute(ddl);
      }
      LOG.info("relay {}: publication {} now covers {}", instance, publication.name(), wanted);
    } catch (SQLException e) {
      if (!"42710".equals(e.getSQLState())) { // created by another relay meanwhile
        throw e;
      }
    }
  }

  /** Whether {@link #prepare} found no slot and may create it ({@link #createWithSnapshot}). */
  public boolean missing() {
    return missing;
  }

  /**
   * The physical slot that marks an unfinished initial snapshot of this slot: created before the
   * logical slot, dropped once every row of the snapshot is published and deleted. A physical slot
   * that reserves no WAL pins nothing; it survives crashes and restarts, which is all it is for.
   */
  private String snapshotMarker() {
    String suffix = "_snapshot";
    return (slot.length() + suffix.length() > 63 ? slot.substring(0, 63 - suffix.length()) : slot)
        + suffix;
  }

  /**
   * Creates the slot with an exported snapshot ({@code CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT}
   * on a replication connection) and imports it into a {@code REPEATABLE READ} transaction on an
   * ordinary connection: that transaction sees exactly the rows committed before the slot's
   * consistent point, everything committed later arrives from the slot. The snapshot marker is
   * created first, so a relay that dies before the snapshot is published finds it at its restart.
   *
   * @return the connection, in its open transaction (the caller reads the rows, rolls back and
   *     closes it), or empty when another relay created the slot meanwhile
   */
  public Optional<Connection> createWithSnapshot() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement st =
            c.prepareStatement("SELECT 1 FROM pg_create_physical_replication_slot(?, false)")) {
      st.setString(1, snapshotMarker());
      st.executeQuery().close();
    } catch (SQLException e) {
      if (!"42710".equals(e.getSQLState())) { // left by a relay that died before creating the slot
        throw e;
      }
    }
    try (Connection rc = openReplicationConnection()) {
      String lsn;
      String snapshot;
      try (Statement st = rc.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "CREATE_REPLICATION_SLOT " + slot + " LOGICAL pgoutput EXPORT_SNAPSHOT")) {
        rs.next();
        lsn = rs.getString("consistent_point");
        snapshot = rs.getString("snapshot_name");
      } catch (SQLException e) {
        if ("42710".equals(e.getSQLState())) { // created by another relay meanwhile
          return Optional.empty();
        }
        throw e;
      }
      if (snapshot == null || !snapshot.matches("[0-9A-Fa-f-]+")) {
        throw new SQLException(
            "replication slot '" + slot + "' was created without a usable exported snapshot");
      }
      Connection c = dataSource.getConnection();
      try {
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
          st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
          st.execute("SET TRANSACTION SNAPSHOT '" + snapshot + "'");
        }
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      LOG.info(
          "relay {}: created replication slot {} (pgoutput) at {} with an initial snapshot",
          instance,
          slot,
          lsn);
      return Optional.of(c);
    }
  }

  /** Whether an initial snapshot of this slot was begun and not finished (the marker exists). */
  public boolean snapshotPending() throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement st =
            c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
      st.setString(1, snapshotMarker());
      try (ResultSet rs = st.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Records that the initial snapshot is published and deleted: drops the marker. */
  public void snapshotDone() throws SQLException {
    drop(dataSource, snapshotMarker());
  }

  /** The slot's state, if it exists. */
  public Optional<SlotState> state() throws SQLException {
    return state(dataSource, sql, slot);
  }

  /**
   * A slot's state as {@code pg_replication_slots} shows it, if the slot exists (for {@code
   * outbox-relay status}, which runs no relay).
   *
   * @param slotName the slot name, validated here
   * @throws dev.waybill.outbox.jdbc.InvalidIdentifierException when the name is not a valid slot
   *     name
   */
  public static Optional<SlotState> state(
      DataSource dataSource, LogicalDecodingSql sql, String slotName) throws SQLException {
    LogicalDecodingSql.checkSlotName(slotName, "relay.cdc.slot");
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql.slotSql())) {
      st.setString(1, slotName);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        int pid = rs.getInt(4);
        return Optional.of(
            new SlotState(
                slotName,
                rs.getBoolean(3),
                rs.wasNull() ? 0 : pid,
                rs.getString(5),
                rs.getLong(6),
                rs.getLong(7),
                Optional.ofNullable((Double) rs.getObject(8))));
      }
    }
  }

  /** Emits a heartbeat: a tiny non-transactional WAL message the relay receives and confirms. */
  public void heartbeat(String prefix) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement st = c.prepareStatement(sql.emitHeartbeatSql())) {
      st.setString(1, prefix);
      st.setString(2, instance);
      st.executeQuery().close();
    }
  }

  /** Opens a replication connection (pgjdbc replication protocol, simple query mode). */
  public Connection openReplicationConnection() throws SQLException {
    Properties p = new Properties();
    PGProperty.USER.set(p, user);
    PGProperty.PASSWORD.set(p, password == null ? "" : password);
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    PGProperty.APPLICATION_NAME.set(p, "waybill-relay-" + instance);
    PGProperty.CONNECT_TIMEOUT.set(p, "10");
    PGProperty.TCP_KEEP_ALIVE.set(p, "true");
    Connection c = DriverManager.getConnection(url, p);
    if (!"server".equals(decodingMemory)) {
      // A large transaction is decoded in memory instead of being spilled to disk and read back.
      // Set with SQL, not as a startup option, so that options= in the user's URL still apply.
      // The value was checked by RelayConfig.CdcConfig (digits and a unit, nothing else).
      try (Statement st = c.createStatement()) {
        st.execute("SET logical_decoding_work_mem = '" + decodingMemory + "'");
      } catch (SQLException e) {
        c.close();
        throw e;
      }
    }
    return c;
  }

  /**
   * Starts streaming from the slot's confirmed position.
   *
   * @throws SQLException when the slot is active elsewhere (SQLState 55006) or the server fails
   */
  public PGReplicationStream start(Connection replication, String publicationName)
      throws SQLException {
    return replication
        .unwrap(PGConnection.class)
        .getReplicationAPI()
        .replicationStream()
        .logical()
        .withSlotName(slot)
        .withSlotOption("proto_version", 1)
        .withSlotOption("publication_names", publicationName)
        .withSlotOption("messages", true)
        .withSlotOption("binary", true) // typed values: no hex bytea, no timestamp text to parse
        .withStatusInterval(1, TimeUnit.SECONDS)
        .start();
  }

  /**
   * Drops the slot when nobody reads it. For tests and operators; a relay never drops its slot.
   *
   * @return whether it existed and was dropped
   */
  public static boolean drop(DataSource dataSource, String slot) throws SQLException {
    LogicalDecodingSql.checkSlotName(slot, "slot");
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement st =
          c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ?")) {
        st.setString(1, slot);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          if (rs.getLong(1) == 0) {
            return false;
          }
        }
      }
      try (PreparedStatement st = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        st.setString(1, slot);
        st.executeQuery().close();
      }
      return true;
    }
  }

  /**
   * A slot as {@code pg_replication_slots} shows it.
   *
   * @param name slot name
   * @param active whether a relay reads it now
   * @param activePid the reading WAL sender's process id, 0 when none
   * @param confirmedLsn the confirmed position (text), null before the first confirmation
   * @param lagBytes current WAL position minus the confirmed position
   * @param retainedBytes WAL the slot keeps from removal (current position minus restart_lsn)
   * @param flushLagSeconds how old the newest confirmed WAL is, from the reader's WAL sender
   */
  public record SlotState(
      String name,
      boolean active,
      int activePid,
      String confirmedLsn,
      long lagBytes,
      long retainedBytes,
      Optional<Double> flushLagSeconds) {}

  /**
   * The server's logical decoding settings and the connected role, as {@link
   * LogicalDecodingSql#prerequisitesSql()} reads them (for the relay's start and {@code doctor}).
   *
   * @param c a connection as the relay's role
   * @param sql the logical decoding SQL
   * @return the settings
   * @throws SQLException if they cannot be read
   */
  public static Prerequisites prerequisites(Connection c, LogicalDecodingSql sql)
      throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql.prerequisitesSql())) {
      rs.next();
      return new Prerequisites(
          rs.getString(1),
          rs.getInt(2),
          rs.getInt(3),
          rs.getBoolean(4),
          rs.getLong(5),
          rs.getLong(6),
          rs.getString(7),
          rs.getString(8),
          rs.getInt(9));
    }
  }

  /**
   * What logical decoding needs of the server and the role.
   *
   * @param walLevel {@code wal_level}
   * @param maxSlots {@code max_replication_slots}
   * @param maxSenders {@code max_wal_senders}
   * @param mayReplicate whether the role has REPLICATION (or is a superuser)
   * @param slotsUsed replication slots in use
   * @param sendersUsed WAL senders in use
   * @param role the connected role
   * @param database the current database
   * @param version {@code server_version_num}
   */
  public record Prerequisites(
      String walLevel,
      int maxSlots,
      int maxSenders,
      boolean mayReplicate,
      long slotsUsed,
      long sendersUsed,
      String role,
      String database,
      int version) {}
}
