package dev.waybill.inbox.spi;

import java.sql.Connection;
import javax.sql.DataSource;

/**
 * Runs one unit of the inbox consumer's work in a database transaction and hands it the
 * transaction's {@link Connection}: the unit inserts the message id into the inbox table, then
 * calls the handler with the same connection. The default, {@link #jdbc()}, opens the transaction
 * itself on a connection borrowed from the consumer's {@link DataSource}; a framework plugs in its
 * own runner so that the handler's other data access (a Spring {@code JdbcTemplate}, JPA
 * repositories) joins the same transaction.
 *
 * <p>An implementation must:
 *
 * <ul>
 *   <li>start a new transaction for each call (the consumer's worker threads never have one open)
 *       and give {@code work} a connection of that transaction, on {@code dataSource} or on the
 *       same database, with auto-commit off;
 *   <li>commit when {@code work} returns, then return its result;
 *   <li>roll back when {@code work} throws, then rethrow that very exception, unwrapped (the
 *       consumer tells handler failures from its own by their type);
 *   <li>throw when the commit fails, with the driver's {@link java.sql.SQLException} in the cause
 *       chain when there is one (a data error at commit counts as the handler's failure, anything
 *       else as the database's).
 * </ul>
 *
 * <p>Must be thread-safe: the consumer calls it from all its worker threads at once.
 */
@FunctionalInterface
public interface TransactionRunner {

  /** The unit of work run inside the transaction. */
  @FunctionalInterface
  interface TransactionWork<T> {
    /**
     * Runs inside the transaction.
     *
     * @param connection the transaction's connection; do not commit, roll back or close it
     * @return the result handed back after the commit
     * @throws Exception to roll back the transaction
     */
    T run(Connection connection) throws Exception;
  }

  /**
   * Runs {@code work} in a new transaction on {@code dataSource}'s database.
   *
   * @param <T> the result type
   * @param dataSource the consumer's data source (the one holding the inbox table)
   * @param work what to run; committed when it returns, rolled back when it throws
   * @return what {@code work} returned, after the commit
   * @throws Exception what {@code work} threw (after the rollback), or the failure to get a
   *     connection, begin or commit
   */
  <T> T inTransaction(DataSource dataSource, TransactionWork<T> work) throws Exception;

  /**
   * The default: borrows a connection from the data source, turns auto-commit off, runs the work,
   * commits or rolls back, and closes the connection.
   *
   * @return the plain JDBC runner
   */
  static TransactionRunner jdbc() {
    return JdbcTransactionRunner.INSTANCE;
  }
}
