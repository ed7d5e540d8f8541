package dev.waybill.spring;

import dev.waybill.outbox.MessageId;
import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import java.util.List;

/**
 * The {@link Outbox} bean of a Spring application: besides the connection-taking methods of {@link
 * Outbox}, it writes through the Spring-managed transaction of the application's {@code
 * DataSource}, whichever way that transaction was begun ({@code @Transactional}, {@code
 * TransactionTemplate}; JDBC, JPA/Hibernate or Jdbi alike), so the message commits or rolls back
 * with the business change.
 *
 * <pre>{@code
 * @Transactional
 * public void place(Order order) {
 *   orders.save(order);
 *   outbox.write(OutboxMessage.builder()
 *       .topic("orders").key(order.id()).eventType("OrderPlaced")
 *       .jsonPayload(json).build());
 * }
 * }</pre>
 *
 * <p>Thread-safe: one bean serves the whole application.
 */
public interface TransactionalOutbox extends Outbox {

  /**
   * Writes one message through the current Spring-managed transaction.
   *
   * @param message the message to write
   * @return the message id (published as {@code ce_id})
   * @throws NotInTransactionException when no Spring-managed transaction is active, or the active
   *     one does not hold a connection of the application's {@code DataSource}
   * @throws dev.waybill.outbox.InvalidMessageException when the message is larger than the
   *     configured limit
   * @throws dev.waybill.outbox.OutboxWriteException when the database rejects the insert; the
   *     transaction should roll back
   */
  default MessageId write(OutboxMessage message) {
    return writeAll(List.of(message)).get(0);
  }

  /**
   * Writes messages, in list order, through the current Spring-managed transaction, in one batch.
   *
   * @param messages the messages to write; an empty list writes nothing
   * @return the message ids, in list order
   * @throws NotInTransactionException when no Spring-managed transaction is active, or the active
   *     one does not hold a connection of the application's {@code DataSource}
   * @throws dev.waybill.outbox.InvalidMessageException when any message is too large (nothing is
   *     written)
   * @throws dev.waybill.outbox.OutboxWriteException when the database rejects the insert; the
   *     transaction should roll back
   */
  List<MessageId> writeAll(List<OutboxMessage> messages);
}
