package dev.waybill.inbox.spi;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** {@link TransactionRunner#jdbc()}: a transaction on a borrowed connection. */
final class JdbcTransactionRunner implements TransactionRunner {
  static final JdbcTransactionRunner INSTANCE = new JdbcTransactionRunner();

  private JdbcTransactionRunner() {}

  @Override
  public <T> T inTransaction(DataSource dataSource, TransactionWork<T> work) throws Exception {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      T result;
      try {
        result = work.run(c);
      } catch (Exception | Error e) {
        try {
          c.rollback();
        } catch (SQLException r) {
          e.addSuppressed(r);
        }
        throw e;
      }
      c.commit();
      return result;
    }
  }

  @Override
  public String toString() {
    return "TransactionRunner.jdbc()";
  }
}
