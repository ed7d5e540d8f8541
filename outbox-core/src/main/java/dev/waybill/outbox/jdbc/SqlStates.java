package dev.waybill.outbox.jdbc;

import java.sql.SQLException;
import java.util.IdentityHashMap;
import java.util.Map;

/** What a database error's SQLSTATE says, for the hints in error messages. */
public final class SqlStates {
  private SqlStates() {}

  /**
   * Whether {@code failure} (or one of its causes) says that a table or view does not exist: the
   * schema was not applied, or another table name or schema is configured.
   *
   * @param failure a database error, possibly wrapped
   * @return true for PostgreSQL's {@code 42P01} and MySQL/MariaDB's and H2's {@code 42S02} (H2 also
   *     {@code 42S04} and {@code 42102})
   */
  public static boolean undefinedTable(Throwable failure) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = failure; t != null && seen.put(t, true) == null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.equals("42P01")
            || state.equals("42S02")
            || state.equals("42S04")
            || state.equals("42102")) {
          return true;
        }
      }
    }
    return false;
  }
}
