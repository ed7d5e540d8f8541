package dev.waybill.spring.inbox;

import dev.waybill.inbox.spi.TransactionRunner;
import java.sql.Connection;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs the inbox consumer's transactions as Spring-managed ones, through a {@link
 * TransactionTemplate} on the application's transaction manager. The connection the inbox writes
 * its row on is the transaction's own ({@link DataSourceUtils#getConnection}): with a {@code
 * DataSourceTransactionManager} or a {@code JdbcTransactionManager} the one {@code JdbcTemplate}
 * uses, with a {@code JpaTransactionManager} the JDBC connection of the JPA {@code EntityManager}.
 * So whatever the handler writes through Spring commits or rolls back with the inbox row.
 *
 * <p>Each call starts a new transaction ({@code PROPAGATION_REQUIRES_NEW}). Thread-safe.
 */
public final class SpringTransactionRunner implements TransactionRunner {
  private final TransactionTemplate template;

  /**
   * A runner on {@code transactionManager}, which must manage transactions of the inbox consumer's
   * data source.
   *
   * @param transactionManager the application's transaction manager
   */
  public SpringTransactionRunner(PlatformTransactionManager transactionManager) {
    this.template = new TransactionTemplate(Objects.requireNonNull(transactionManager));
    this.template.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    this.template.setName("waybill-inbox");
  }

  @Override
  public <T> T inTransaction(DataSource dataSource, TransactionWork<T> work) throws Exception {
    try {
      return template.execute(
          status -> {
            Connection c = DataSourceUtils.getConnection(dataSource);
            try {
              return work.run(c);
            } catch (RuntimeException e) {
              throw e;
            } catch (Exception e) {
              // TransactionTemplate rolls back on unchecked exceptions only: carry it out
              throw new WorkFailed(e);
            } finally {
              DataSourceUtils.releaseConnection(c, dataSource);
            }
          });
    } catch (WorkFailed e) {
      throw (Exception) e.getCause();
    }
  }

  @Override
  public String toString() {
    return "SpringTransactionRunner[" + template.getTransactionManager() + "]";
  }

  /** A checked exception of the work, carried through the template. */
  private static final class WorkFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WorkFailed(Exception cause) {
      super(cause);
    }
  }
}
