package dev.waybill.relay.cli;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseConnectionException;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.SchemaCheck;
import dev.waybill.outbox.schema.SchemaComponent;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.outbox.schema.SchemaScripts;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.relay.RelayConfig;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The database checks of {@code doctor}: the database answers, the outbox schema is at this relay's
 * version, and the tables the relay uses have the columns it reads and writes (read from the
 * catalog, so a table changed by hand is found even when the history table says all is well).
 */
final class DatabaseChecks {
  static final String GROUP = "database";

  private static final List<String> MESSAGE_COLUMNS =
      List.of(
          "seq",
          "id",
          "topic",
          "msg_key",
          "event_type",
          "content_type",
          "payload",
          "headers",
          "traceparent",
          "created_at",
          "available_at");

  private DatabaseChecks() {}

  /**
   * Opens the pool; on failure adds the failed check and returns empty.
   *
   * @return the pool, open (the caller closes it), or empty when the database cannot be reached
   */
  static Optional<HikariDataSource> connect(RelayConfig config, List<DoctorCheck> out) {
    try {
      HikariDataSource ds = DataSources.open(config.database(), "waybill-doctor");
      try (Connection c = ds.getConnection()) {
        DatabaseMetaData md = c.getMetaData();
        out.add(
            DoctorCheck.ok(
                GROUP,
                "reachable",
                md.getDatabaseProductName()
                    + " "
                    + md.getDatabaseProductVersion()
                    + " as "
                    + md.getUserName()));
      }
      return Optional.of(ds);
    } catch (DatabaseConnectionException e) {
      out.add(DoctorCheck.failed(GROUP, "reachable", e.getMessage(), e.reason().hint()));
    } catch (WaybillException | SQLException e) {
      out.add(
          DoctorCheck.failed(
              GROUP,
              "reachable",
              "cannot open a connection with db.url: " + e.getMessage(),
              "check db.url, db.user and db.password"));
    }
    return Optional.empty();
  }

  /**
   * The schema version and structure.
   *
   * @return the tables found with all their columns (privileges are checked on those only)
   */
  static Set<String> schema(
      HikariDataSource ds, Dialect dialect, TableNames tables, boolean cdc, List<DoctorCheck> out) {
    int latest = SchemaComponent.outbox().latestVersion();
    try {
      int version =
          SchemaMigrator.builder()
              .dataSource(ds)
              .dialect(dialect)
              .tables(tables)
              .build()
              .currentVersion();
      if (version == 0) {
        List<String> problems = SchemaCheck.problems(ds, dialect, tables, SchemaComponent.outbox());
        if (problems.isEmpty()) {
          out.add(
              DoctorCheck.ok(
                  GROUP,
                  "schema version",
                  "no version recorded in "
                      + tables.historyTable().sql()
                      + "; the tables have the structure of version "
                      + latest
                      + " (applied by Flyway, Liquibase or by hand)"));
        } else {
          out.add(
              DoctorCheck.failed(
                  GROUP,
                  "schema version",
                  "no outbox schema version is recorded in "
                      + tables.historyTable().sql()
                      + " and the tables lack: "
                      + String.join("; ", problems),
                  "apply the schema: outbox-relay migrate (or the scripts of "
                      + SchemaScripts.resourceFolder(dialect, SchemaComponent.outbox())
                      + " with Flyway or Liquibase, see docs/schema.md)"));
        }
      } else if (version < latest) {
        out.add(
            DoctorCheck.failed(
                GROUP,
                "schema version",
                "the outbox schema is at version " + version + ", this relay needs " + latest,
                "run outbox-relay migrate"));
      } else if (version > latest) {
        out.add(
            DoctorCheck.warning(
                GROUP,
                "schema version",
                "the outbox schema is at version "
                    + version
                    + ", newer than this relay's "
                    + latest,
                "run the relay version that applied it"));
      } else {
        out.add(DoctorCheck.ok(GROUP, "schema version", "version " + version));
      }
    } catch (WaybillException e) {
      out.add(
          DoctorCheck.failed(
              GROUP,
              "schema version",
              e.getMessage(),
              "grant the relay's role SELECT on " + tables.historyTable().sql()));
    }
    Set<String> complete = new TreeSet<>();
    for (Map.Entry<SqlIdentifier, List<String>> t : usedTables(tables, cdc).entrySet()) {
      String name = "table " + t.getKey().sql();
      try {
        List<String> missing = missingColumns(ds, dialect, t.getKey(), t.getValue());
        if (missing == null) {
          out.add(
              DoctorCheck.failed(
                  GROUP,
                  name,
                  "does not exist (or the connected role may not see it)",
                  "run outbox-relay migrate; check outbox.table and outbox.schema"));
        } else if (!missing.isEmpty()) {
          out.add(
              DoctorCheck.failed(
                  GROUP,
                  name,
                  "lacks column(s) " + String.join(", ", missing) + " that the relay uses",
                  "the table was not created by this version's scripts: run outbox-relay migrate"
                      + " on a fresh table, or add the columns as"
                      + " db/waybill/outbox/"
                      + dialect.name()
                      + "/ defines them"));
        } else {
          out.add(DoctorCheck.ok(GROUP, name, t.getValue().size() + " columns present"));
          complete.add(t.getKey().sql());
        }
      } catch (SQLException e) {
        out.add(
            DoctorCheck.failed(
                GROUP, name, "cannot read the catalog: " + e.getMessage(), "see the cause"));
      }
    }
    return complete;
  }

  /** The tables the relay of this mode uses, with the columns it reads or writes. */
  static Map<SqlIdentifier, List<String>> usedTables(TableNames tables, boolean cdc) {
    Map<SqlIdentifier, List<String>> used = new LinkedHashMap<>();
    List<String> outbox = new ArrayList<>(MESSAGE_COLUMNS);
    outbox.add("shard");
    used.put(tables.outboxTable(), outbox);
    List<String> dead = new ArrayList<>(MESSAGE_COLUMNS);
    dead.addAll(
        List.of(
            "failed_at",
            "attempts",
            "error_class",
            "error_message",
            "parks_key",
            "relay_instance"));
    used.put(tables.deadLetterTable(), dead);
    if (!cdc) {
      used.put(tables.leaseTable(), List.of("shard", "owner", "epoch", "expires_at", "renewed_at"));
      used.put(tables.relayTable(), List.of("instance_id", "host", "started_at", "expires_at"));
    }
    return used;
  }

  /** The missing columns, or null when the table is not in the catalog at all. */
  private static List<String> missingColumns(
      HikariDataSource ds, Dialect dialect, SqlIdentifier table, List<String> wanted)
      throws SQLException {
    boolean mysql = dialect.name().equals("mysql");
    try (Connection c = ds.getConnection()) {
      String schema = table.schema().orElse(null);
      String catalog = null;
      if (mysql) {
        catalog = schema != null ? schema : c.getCatalog();
        schema = null;
      } else if (schema == null) {
        schema = c.getSchema();
      }
      String tableName = mysql ? table.name() : table.name().toLowerCase(Locale.ROOT);
      if (!mysql && schema != null) {
        schema = schema.toLowerCase(Locale.ROOT);
      }
      Set<String> have = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      try (ResultSet rs = c.getMetaData().getColumns(catalog, schema, tableName, null)) {
        while (rs.next()) {
          have.add(rs.getString("COLUMN_NAME"));
        }
      }
      if (have.isEmpty()) {
        return null;
      }
      return wanted.stream().filter(w -> !have.contains(w)).toList();
    }
  }
}
