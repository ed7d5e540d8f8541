package dev.waybill.outbox.jdbc;

import dev.waybill.outbox.WaybillException;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Runs work in one JDBC transaction on a pooled connection: commit when the work returns, rollback
 * when it throws, the connection's auto-commit restored and the connection closed in all cases.
 * {@code inTransaction} returns a value, {@code useTransaction} does not.
 */
public final class Transactions {
  private Transactions() {}

  /** Work that gets a connection inside an open transaction and returns a value. */
  @FunctionalInterface
  public interface TransactionCallback<T> {
    /**
     * @throws SQLException to roll back; it is wrapped in a {@link WaybillException}
     */
    T run(Connection connection) throws SQLException;
  }

  /** Work that gets a connection inside an open transaction. */
  @FunctionalInterface
  public interface TransactionConsumer {
    /**
     * @throws SQLException to roll back; it is wrapped in a {@link WaybillException}
     */
    void run(Connection connection) throws SQLException;
  }

  /**
   * Runs {@code work} in a transaction and returns its result.
   *
   * @throws WaybillException wrapping an {@link SQLException} (rolled back); runtime exceptions of
   *     the work propagate unchanged after the rollback
   */
  public static <T> T inTransaction(DataSource dataSource, TransactionCallback<T> work) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new WaybillException("database transaction failed: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code work} in a transaction.
   *
   * @throws WaybillException wrapping an {@link SQLException} (rolled back)
   */
  public static void useTransaction(DataSource dataSource, TransactionConsumer work) {
    inTransaction(
        dataSource,
        c -> {
          work.run(c);
          return null;
        });
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
