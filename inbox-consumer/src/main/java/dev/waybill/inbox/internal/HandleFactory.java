package dev.waybill.inbox.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Consumer;
import org.jdbi.v3.core.ConnectionFactory;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;

/**
 * Opens Jdbi handles on connections Waybill owns, inside their open transaction: closing such a
 * handle neither closes the connection nor ends the transaction. Thread-safe. Not API.
 */
public final class HandleFactory {
  private final ThreadLocal<Connection> current = new ThreadLocal<>();
  private final Jdbi jdbi;

  /**
   * @param customizer installs plugins, mappers and the like on the Jdbi the handles come from
   */
  public HandleFactory(Consumer<Jdbi> customizer) {
    jdbi =
        Jdbi.create(
            new ConnectionFactory() {
              @Override
              public Connection openConnection() throws SQLException {
                Connection c = current.get();
                if (c == null) {
                  throw new SQLException("no inbox transaction on this thread");
                }
                return c;
              }

              @Override
              public void closeConnection(Connection connection) {
                // the inbox commits, rolls back and closes the connection itself
              }
            });
    jdbi.getConfig(Handles.class).setForceEndTransactions(false);
    customizer.accept(jdbi);
  }

  /** A handle on {@code connection}, in its current transaction. */
  public Handle open(Connection connection) {
    current.set(connection);
    try {
      return jdbi.open();
    } finally {
      current.remove();
    }
  }
}
