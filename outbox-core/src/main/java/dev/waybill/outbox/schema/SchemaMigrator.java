package dev.waybill.outbox.schema;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.internal.SqlScripts;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a component's versioned scripts to a database, idempotently: versions already recorded in
 * the history table are skipped, the others run in order and are recorded. Safe when several
 * application instances start at once: the whole run holds a database lock ({@code
 * pg_advisory_lock} on PostgreSQL, {@code GET_LOCK} on MySQL/MariaDB, a locked history row on H2),
 * so one instance migrates and the others then find the schema current.
 *
 * <p>A component with no rows in the history table whose tables already have the structure of its
 * latest version (applied by Flyway, Liquibase or by hand, see {@link SchemaScripts}) is left as it
 * is. A component recorded as complete whose tables are missing is refused: that history belongs to
 * other tables of the schema (Waybill keeps one outbox per schema) or the tables were dropped.
 *
 * <p>On PostgreSQL each version runs in one transaction; MySQL and H2 commit DDL statement by
 * statement, so a failure there names the statement and what was left applied.
 *
 * <pre>{@code
 * SchemaMigrator.builder().dataSource(ds).build().migrate();
 * }</pre>
 *
 * <p>Thread-safe; each {@link #migrate()} takes two connections from the data source.
 */
public final class SchemaMigrator {
  /** Default time to wait for another instance's migration to finish. */
  public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(60);

  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);
  private static final String LOCK_NAME = "migrate";

  private final DataSource dataSource;
  private final Dialect configuredDialect;
  private final TableNames tables;
  private final SchemaComponent component;
  private final Duration lockTimeout;

  private SchemaMigrator(Builder b) {
    this.dataSource = Objects.requireNonNull(b.dataSource, "dataSource is required");
    this.configuredDialect = b.dialect;
    this.tables = b.tables;
    this.component = b.component;
    this.lockTimeout = b.lockTimeout;
  }

  /**
   * A builder: the data source is required; defaults are the outbox component and table names.
   *
   * @return a new builder; not thread-safe
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Brings the component to its latest version.
   *
   * @return what was found and applied
   * @throws MigrationException when a script fails, an applied script was changed (checksum), or
   *     the lock is not granted within the timeout
   */
  public MigrationResult migrate() {
    try (Connection lockConnection = dataSource.getConnection()) {
      Dialect dialect = dialect(lockConnection);
      lockConnection.setAutoCommit(true);
      try (Dialect.MigrationLock lock =
          dialect.lockForMigration(lockConnection, tables.historyTable(), LOCK_NAME, lockTimeout)) {
        try (Connection c = dataSource.getConnection()) {
          return migrateLocked(c, dialect);
        }
      }
    } catch (SQLException e) {
      throw new MigrationException(
          "schema migration of component '" + component.name() + "' failed: " + e.getMessage(), e);
    } catch (MigrationException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new MigrationException(
          "schema migration of component '" + component.name() + "' failed: " + e.getMessage(), e);
    }
  }

  /**
   * The version recorded for the component, 0 when none (the history table may not exist yet).
   *
   * @return the applied version, from 0
   * @throws MigrationException when the database cannot be read
   */
  public int currentVersion() {
    try (Connection c = dataSource.getConnection()) {
      return applied(c).keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
    } catch (SQLException e) {
      if (isMissingTable(e)) {
        return 0;
      }
      throw new MigrationException("cannot read schema history: " + e.getMessage(), e);
    }
  }

  /**
   * The script text of a migration for a dialect, placeholders filled with this migrator's names.
   *
   * @param dialect the dialect whose script to read
   * @param migration one of the component's migrations
   * @return the SQL text, ready to run or to hand to Flyway or Liquibase
   */
  public String script(Dialect dialect, Migration migration) {
    return SqlScripts.fillPlaceholders(rawScript(dialect, migration), placeholders());
  }

  private MigrationResult migrateLocked(Connection c, Dialect dialect) throws SQLException {
    c.setAutoCommit(true);
    try (Statement st = c.createStatement()) {
      st.execute(dialect.createHistoryTableSql(tables.historyTable()));
    }
    Map<Integer, String> applied = applied(c);
    int from = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
    if (from == 0 && SchemaCheck.problems(c, dialect, tables, component, spec -> true).isEmpty()) {
      LOG.info(
          "component '{}' has no rows in {} but its tables have the structure of version {}"
              + " (applied by Flyway, Liquibase or by hand?): nothing to do",
          component.name(),
          tables.historyTable().sql(),
          component.latestVersion());
      return new MigrationResult(
          component.name(), component.latestVersion(), component.latestVersion(), List.of());
    }
    if (from > 0 && applied.size() == from) {
      List<SqlIdentifier> missing = SchemaCheck.missingTables(c, dialect, tables, component);
      if (!missing.isEmpty()) {
        throw new MigrationException(
            "component '"
                + component.name()
                + "' is recorded at version "
                + from
                + " in "
                + tables.historyTable().sql()
                + ", yet table(s) "
                + missing
                + " do not exist. Either these tables were dropped (delete the '"
                + component.name()
                + "' rows of the history table, then migrate again), or the history belongs to"
                + " other tables of this schema: Waybill keeps one "
                + component.name()
                + " per schema (its relay tables are shared), so put a second one in a schema"
                + " of its own (outbox.schema / TableNames.withSchema)");
      }
    }
    List<Integer> done = new ArrayList<>();
    String user = c.getMetaData().getUserName();
    for (Migration m : component.migrations()) {
      String raw = rawScript(dialect, m);
      String checksum = sha256(raw);
      String recorded = applied.get(m.version());
      if (recorded != null) {
        if (!recorded.equals(checksum)) {
          throw new MigrationException(
              "component '"
                  + component.name()
                  + "' version "
                  + m.version()
                  + " was applied from a different script (checksum "
                  + recorded
                  + ", this library's is "
                  + checksum
                  + "): the shipped script must not change; use the matching Waybill version");
        }
        continue;
      }
      apply(c, dialect, m, raw, checksum, user == null ? "?" : user);
      done.add(m.version());
    }
    int to = Math.max(from, component.latestVersion());
    if (from > component.latestVersion()) {
      LOG.warn(
          "schema of component '{}' is at version {}, newer than this library's {}: nothing to do",
          component.name(),
          from,
          component.latestVersion());
    }
    return new MigrationResult(component.name(), from, to, done);
  }

  private void apply(
      Connection c, Dialect dialect, Migration m, String raw, String checksum, String user)
      throws SQLException {
    List<String> statements = SqlScripts.split(SqlScripts.fillPlaceholders(raw, placeholders()));
    String where = "component '" + component.name() + "' version " + m.version();
    boolean tx = dialect.transactionalDdl();
    c.setAutoCommit(!tx);
    try {
      for (int i = 0; i < statements.size(); i++) {
        try (Statement st = c.createStatement()) {
          st.execute(statements.get(i));
        } catch (SQLException e) {
          String left =
              tx
                  ? "nothing of this version was applied (rolled back)"
                  : (i == 0
                      ? "nothing of this version was applied"
                      : "statements 1-"
                          + i
                          + " were applied and not undone (this database commits"
                          + " DDL): drop what they created before retrying");
          throw new MigrationException(
              where
                  + " ("
                  + m.fileName()
                  + ") failed at statement "
                  + (i + 1)
                  + " of "
                  + statements.size()
                  + ": "
                  + e.getMessage()
                  + "; "
                  + left,
              e);
        }
      }
      try (PreparedStatement st =
          c.prepareStatement(
              "INSERT INTO "
                  + tables.historyTable().sql()
                  + " (component, version, description, checksum, installed_by)"
                  + " VALUES (?, ?, ?, ?, ?)")) {
        st.setString(1, component.name());
        st.setInt(2, m.version());
        st.setString(3, m.description());
        st.setString(4, checksum);
        st.setString(5, user.length() > 255 ? user.substring(0, 255) : user);
        st.executeUpdate();
      }
      if (tx) {
        c.commit();
      }
      LOG.info(
          "applied schema {} ({}) on {}",
          where,
          m.description(),
          tables.schema().orElse("default schema"));
    } catch (SQLException | RuntimeException e) {
      if (tx) {
        c.rollback();
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private Map<Integer, String> applied(Connection c) throws SQLException {
    Map<Integer, String> out = new TreeMap<>();
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT version, checksum FROM "
                + tables.historyTable().sql()
                + " WHERE component = ? AND version > 0")) {
      st.setString(1, component.name());
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getInt(1), rs.getString(2));
        }
      }
    }
    return out;
  }

  private Dialect dialect(Connection c) {
    return configuredDialect != null ? configuredDialect : Dialect.of(c);
  }

  private String rawScript(Dialect dialect, Migration m) {
    String resource = component.resource(dialect.name(), m);
    try (InputStream in = SchemaMigrator.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new MigrationException(
            "script "
                + resource
                + " is missing from the class path: the Waybill jar is incomplete");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new MigrationException("cannot read script " + resource, e);
    }
  }

  private Map<String, String> placeholders() {
    return SchemaScripts.placeholders(tables);
  }

  private static boolean isMissingTable(SQLException e) {
    String state = e.getSQLState();
    // 42P01 PostgreSQL, 42S02 MySQL/MariaDB and H2
    return "42P01".equals(state) || "42S02".equals(state) || "42S04".equals(state);
  }

  private static String sha256(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "SchemaMigrator[component="
        + component.name()
        + ", dialect="
        + (configuredDialect == null ? "detected" : configuredDialect.name())
        + ", tables="
        + tables
        + ", lockTimeout="
        + lockTimeout
        + "]";
  }

  /** Builds a {@link SchemaMigrator}. Not thread-safe. */
  public static final class Builder {
    private DataSource dataSource;
    private Dialect dialect;
    private TableNames tables = TableNames.defaults();
    private SchemaComponent component = SchemaComponent.outbox();
    private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;

    private Builder() {}

    /**
     * The database to migrate (required).
     *
     * @param dataSource the database; connections are borrowed and returned, the data source is not
     *     closed
     * @return this builder
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = dataSource;
      return this;
    }

    /**
     * The dialect; detected from the connection when not set.
     *
     * @param dialect the dialect, or null to detect it
     * @return this builder
     */
    public Builder dialect(Dialect dialect) {
      this.dialect = dialect;
      return this;
    }

    /**
     * The table names (default {@link TableNames#defaults()}).
     *
     * @param tables the names substituted into the scripts
     * @return this builder
     */
    public Builder tables(TableNames tables) {
      this.tables = Objects.requireNonNull(tables, "tables");
      return this;
    }

    /**
     * The component to migrate (default {@link SchemaComponent#outbox()}).
     *
     * @param component the schema component
     * @return this builder
     */
    public Builder component(SchemaComponent component) {
      this.component = Objects.requireNonNull(component, "component");
      return this;
    }

    /**
     * How long to wait for another instance's migration (default {@link #DEFAULT_LOCK_TIMEOUT}).
     *
     * @param lockTimeout the longest wait for the migration lock
     * @return this builder
     * @throws IllegalArgumentException when not positive
     */
    public Builder lockTimeout(Duration lockTimeout) {
      if (lockTimeout == null || lockTimeout.isNegative() || lockTimeout.isZero()) {
        throw new IllegalArgumentException(
            "lockTimeout " + lockTimeout + " must be a positive duration, e.g. PT60S");
      }
      this.lockTimeout = lockTimeout;
      return this;
    }

    /**
     * @return a migrator; thread-safe, and several may run at once against one database
     * @throws NullPointerException when no data source was given
     */
    public SchemaMigrator build() {
      return new SchemaMigrator(this);
    }
  }
}
