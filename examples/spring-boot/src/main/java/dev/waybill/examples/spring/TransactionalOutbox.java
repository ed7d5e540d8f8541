package dev.waybill.examples.spring;

import dev.waybill.outbox.MessageId;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import java.sql.Connection;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Waybill's {@link Outbox} joined to Spring's transaction management: writes through the JDBC
 * connection bound to the current Spring transaction (the one {@code JdbcTemplate} uses), so the
 * message commits or rolls back with the caller's business writes.
 *
 * <p>{@link Propagation#MANDATORY}: calling it outside a transaction fails with Spring's {@code
 * IllegalTransactionStateException} before anything is written. (Without it, {@code
 * DataSourceUtils} would hand out an auto-commit connection, which the outbox refuses too.)
 */
@Component
public class TransactionalOutbox {

  private final DataSource dataSource;
  private final Outbox outbox;

  TransactionalOutbox(DataSource dataSource, Outbox outbox) {
    this.dataSource = dataSource;
    this.outbox = outbox;
  }

  /**
   * Writes one message in the current transaction.
   *
   * @return the message id (published as {@code ce_id})
   * @throws org.springframework.transaction.IllegalTransactionStateException when no transaction is
   *     active
   * @throws dev.waybill.outbox.WaybillException when the message is invalid or the insert fails;
   *     the transaction is then rolled back (it is a runtime exception)
   */
  @Transactional(propagation = Propagation.MANDATORY)
  public MessageId write(OutboxMessage message) {
    Connection connection = DataSourceUtils.getConnection(dataSource);
    try {
      return outbox.write(connection, message);
    } finally {
      // inside a transaction this only gives the connection back to the transaction
      DataSourceUtils.releaseConnection(connection, dataSource);
    }
  }
}
