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
     * @param connection a connection with auto-commit off, owned by the caller of the work: do not
     *     commit, roll back or close it
     * @return the result handed back after the commit
     * @throws SQLException to roll back; it is wrapped in a {@link WaybillException}
     */
    T run(Connection connection) throws SQLException;
  }

  /** Work that gets a connection inside an open transaction. */
  @FunctionalInterface
  public interface TransactionConsumer {
    /**
     * @param connection a connection with auto-commit off, owned by the caller of the work: do not
     *     commit, roll back or close it
     * @throws SQLException to roll back; it is wrapped in a {@link WaybillException}
     */
    void run(Connection connection) throws SQLException;
  }

  /**
   * Runs {@code work} in a transaction and returns its result.
   *
   * @param <T> the result type
   * @param dataSource where the connection comes from; it is closed after the commit or rollback
   * @param work what to run; committed when it returns, rolled back when it throws
   * @return what the work returned
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
   * @param dataSource where the connection comes from; it is closed after the commit or rollback
   * @param work what to run; committed when it returns, rolled back when it throws
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
