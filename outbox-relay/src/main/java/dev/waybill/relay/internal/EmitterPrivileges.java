package dev.waybill.relay.internal;

import dev.waybill.outbox.dialect.LogicalDecodingSql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Who may run {@code pg_logical_emit_message}, as the CDC relay checks it at start. PostgreSQL
 * grants it to PUBLIC by default: in message mode every role that can connect could then publish
 * through the relay. The relay's own role needs the {@code text} overload for its heartbeat. Not
 * API.
 */
public final class EmitterPrivileges {
  private EmitterPrivileges() {}

  /**
   * The warnings for this database and the connecting role: in message mode, when PUBLIC may
   * execute an overload; in both modes, when the role may not emit a heartbeat.
   *
   * @param dataSource connections as the relay's role
   * @param sql the logical decoding SQL
   * @param messageMode whether the relay publishes logical decoding messages ({@code
   *     outbox.write.mode=message})
   * @return warning texts, each naming the statement that fixes it; empty when all is well
   * @throws SQLException if the catalog cannot be read
   */
  public static List<String> check(
      DataSource dataSource, LogicalDecodingSql sql, boolean messageMode) throws SQLException {
    List<String> open = new ArrayList<>();
    boolean heartbeat = false;
    String role;
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery(sql.emitFunctionPrivilegesSql())) {
        while (rs.next()) {
          if (rs.getBoolean(2)) {
            open.add(rs.getString(1));
          }
          heartbeat |= rs.getBoolean(3) && "text".equals(rs.getString(4));
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT current_user")) {
        role = rs.next() ? rs.getString(1) : "";
      }
    }
    List<String> warnings = new ArrayList<>();
    if (messageMode && !open.isEmpty()) {
      String functions = String.join(", ", open);
      warnings.add(
          "outbox.write.mode=message and PUBLIC may execute "
              + functions
              + ": any role that can connect to this database can publish through this relay. As a"
              + " superuser run REVOKE EXECUTE ON FUNCTION "
              + functions
              + " FROM PUBLIC, then GRANT EXECUTE on them to the writers' role and the relay's role"
              + " (see docs/security.md, CDC: who may publish)");
    }
    if (!heartbeat) {
      warnings.add(
          "role '"
              + role
              + "' may not execute pg_logical_emit_message with text content, so the relay cannot"
              + " emit heartbeats and an idle slot pins WAL: GRANT EXECUTE ON FUNCTION"
              + " pg_logical_emit_message(boolean, text, text) TO "
              + role
              + " (see docs/security.md)");
    }
    return warnings;
  }
}
