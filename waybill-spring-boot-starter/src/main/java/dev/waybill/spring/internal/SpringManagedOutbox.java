package dev.waybill.spring.internal;

import dev.waybill.outbox.MessageId;
import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.OutboxWriteException;
import dev.waybill.spring.TransactionalOutbox;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Writes through the connection Spring has bound to the current transaction for the data source
 * ({@link DataSourceUtils}): a {@code DataSourceTransactionManager} binds it, and so does a {@code
 * JpaTransactionManager} through Hibernate's JDBC connection, and Jdbi's Spring integration uses
 * the same binding. Outside a transaction it refuses, before touching the database. Not API.
 */
public final class SpringManagedOutbox implements TransactionalOutbox {
  private final Outbox delegate;
  private final DataSource dataSource;

  /**
   * @param delegate the writer that does the insert
   * @param dataSource the data source whose transaction-bound connection is written through
   */
  public SpringManagedOutbox(Outbox delegate, DataSource dataSource) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  @Override
  public List<MessageId> writeAll(List<OutboxMessage> messages) {
    Objects.requireNonNull(messages, "messages");
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new NotInTransactionException(
          "outbox write refused: no Spring-managed transaction is active, so the message would"
              + " commit on its own, outside your business change. Call it from a @Transactional"
              + " method (on a Spring bean, called from another bean) or inside"
              + " TransactionTemplate.execute(...).");
    }
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      if (connection.getAutoCommit()) {
        throw new NotInTransactionException(
            "outbox write refused: a Spring transaction is active, but not on the application's"
                + " DataSource (its connection is in auto-commit mode), so the message would"
                + " commit on its own. Use the transaction manager of that DataSource (a"
                + " DataSourceTransactionManager or JpaTransactionManager over it) for this"
                + " method.");
      }
      return delegate.writeAll(connection, messages);
    } catch (SQLException e) {
      throw new OutboxWriteException("outbox write failed: " + e.getMessage(), e);
    } finally {
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }

  @Override
  public List<MessageId> writeAll(Connection connection, List<OutboxMessage> messages) {
    return delegate.writeAll(connection, messages);
  }

  @Override
  public OutboxConfig config() {
    return delegate.config();
  }

  @Override
  public String toString() {
    return "SpringManagedOutbox[" + delegate.config().tables().outboxTable() + "]";
  }
}
