package dev.waybill.relay.cli;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.jdbc.SqlStates;
import dev.waybill.outbox.schema.TableNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The table privileges of the connected role, against the grants script of the relay's mode that
 * ships with Waybill ({@code db/waybill/grants/<dialect>/relay.sql} or {@code cdc-relay.sql}, the
 * statements docs/security.md names): read from the catalog ({@code has_table_privilege} on
 * PostgreSQL; {@code information_schema} user, schema and table privileges on MySQL/MariaDB), so
 * nothing is tried on the data.
 */
final class PrivilegeChecks {
  static final String GROUP = "privileges";

  private static final Pattern GRANT =
      Pattern.compile(
          "^\\s*GRANT\\s+([A-Z ,()_a-z]+?)\\s+ON\\s+([A-Za-z_][A-Za-z0-9_]*)\\s+TO\\b",
          Pattern.MULTILINE);

  private PrivilegeChecks() {}

  /**
   * Adds one check per table of the grants script.
   *
   * @param present the tables (as {@link SqlIdentifier#sql()}) found with their columns; others are
   *     left to the structure checks
   */
  static void check(
      DataSource ds,
      Dialect dialect,
      TableNames tables,
      boolean cdc,
      Set<String> present,
      List<DoctorCheck> out) {
    if (dialect.name().equals("h2")) {
      out.add(DoctorCheck.ok(GROUP, "tables", "not checked on H2 (no roles)"));
      return;
    }
    String script = "db/waybill/grants/" + dialect.name() + "/" + (cdc ? "cdc-" : "") + "relay.sql";
    Map<SqlIdentifier, List<String>> wanted = required(read(script), tables);
    boolean postgres = dialect.name().equals("postgresql");
    try (Connection c = ds.getConnection()) {
      String role = currentRole(c, postgres);
      for (Map.Entry<SqlIdentifier, List<String>> e : wanted.entrySet()) {
        SqlIdentifier table = e.getKey();
        if (!present.contains(table.sql()) && !table.equals(tables.historyTable())) {
          continue;
        }
        List<String> lacking = new ArrayList<>();
        try {
          for (String privilege : e.getValue()) {
            if (!(postgres
                ? postgresHas(c, table, privilege)
                : mysqlHas(c, role, table, privilege))) {
              lacking.add(privilege);
            }
          }
        } catch (SQLException missing) {
          if (SqlStates.undefinedTable(missing)) {
            continue; // the history table of a schema never applied: the schema check says so
          }
          throw missing;
        }
        String name = "on " + table.sql();
        if (lacking.isEmpty()) {
          out.add(DoctorCheck.ok(GROUP, name, String.join(", ", e.getValue())));
        } else {
          out.add(
              DoctorCheck.failed(
                  GROUP,
                  name,
                  "role "
                      + role
                      + " lacks "
                      + String.join(", ", lacking)
                      + " (the relay needs "
                      + String.join(", ", e.getValue())
                      + ")",
                  "as the tables' owner: GRANT "
                      + String.join(", ", lacking)
                      + " ON "
                      + table.sql()
                      + " TO "
                      + role
                      + " (see docs/security.md, "
                      + script
                      + ")"));
        }
      }
    } catch (SQLException e) {
      out.add(
          DoctorCheck.failed(
              GROUP,
              "tables",
              "cannot read the privileges from the catalog: " + e.getMessage(),
              "see the cause"));
    }
  }

  /** The table privileges a grants script names, by the configured table they apply to. */
  static Map<SqlIdentifier, List<String>> required(String script, TableNames tables) {
    TableNames defaults = TableNames.defaults();
    Map<String, SqlIdentifier> byDefaultName =
        Map.of(
            defaults.outbox(), tables.outboxTable(),
            defaults.deadLetters(), tables.deadLetterTable(),
            defaults.leases(), tables.leaseTable(),
            defaults.relays(), tables.relayTable(),
            defaults.history(), tables.historyTable());
    Map<SqlIdentifier, List<String>> out = new LinkedHashMap<>();
    Matcher m = GRANT.matcher(script);
    while (m.find()) {
      SqlIdentifier table = byDefaultName.get(m.group(2));
      if (table == null) {
        continue;
      }
      List<String> privileges = out.computeIfAbsent(table, t -> new ArrayList<>());
      for (String p : m.group(1).split(",")) {
        String word = p.trim().split("[\\s(]")[0].toUpperCase(Locale.ROOT);
        if (!word.isEmpty() && !privileges.contains(word)) {
          privileges.add(word);
        }
      }
    }
    return out;
  }

  private static String currentRole(Connection c, boolean postgres) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                postgres
                    ? "SELECT current_user"
                    : "SELECT CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',"
                        + " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static boolean postgresHas(Connection c, SqlIdentifier table, String privilege)
      throws SQLException {
    try (PreparedStatement st = c.prepareStatement("SELECT has_table_privilege(?, ?)")) {
      st.setString(1, table.sql());
      st.setString(2, privilege);
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static boolean mysqlHas(
      Connection c, String grantee, SqlIdentifier table, String privilege) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            """
            SELECT COUNT(*) FROM (
              SELECT 1 FROM information_schema.USER_PRIVILEGES
               WHERE GRANTEE = ? AND PRIVILEGE_TYPE = ?
              UNION ALL
              SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES
               WHERE GRANTEE = ? AND PRIVILEGE_TYPE = ? AND TABLE_SCHEMA = COALESCE(?, DATABASE())
              UNION ALL
              SELECT 1 FROM information_schema.TABLE_PRIVILEGES
               WHERE GRANTEE = ? AND PRIVILEGE_TYPE = ? AND TABLE_SCHEMA = COALESCE(?, DATABASE())
                 AND TABLE_NAME = ?) p""")) {
      String schema = table.schema().orElse(null);
      st.setString(1, grantee);
      st.setString(2, privilege);
      st.setString(3, grantee);
      st.setString(4, privilege);
      st.setString(5, schema);
      st.setString(6, grantee);
      st.setString(7, privilege);
      st.setString(8, schema);
      st.setString(9, table.name());
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && rs.getLong(1) > 0;
      }
    }
  }

  private static String read(String resource) {
    try (InputStream in = PrivilegeChecks.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            resource + " is missing from the class path: the Waybill jar is incomplete");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
