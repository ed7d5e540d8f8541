package dev.waybill.spring.inbox;

import dev.waybill.inbox.Inbox;
import dev.waybill.outbox.wire.CloudEventHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The inbox's once-only step for code that receives records itself, such as a Spring Kafka
 * {@code @KafkaListener}: records the message id in the inbox table inside the current Spring
 * transaction and runs the work only when the id was not recorded before, so the work's writes and
 * the id commit together.
 *
 * <pre>{@code
 * @KafkaListener(topics = "orders", groupId = "billing")
 * @Transactional
 * public void onOrder(ConsumerRecord<String, String> record) {
 *   inboxOnce.run("billing", record, () -> invoices.save(Invoice.from(record.value())));
 * }
 * }</pre>
 *
 * <p>When no Spring transaction is active on the calling thread, each call opens one of its own on
 * the application's transaction manager. Thread-safe.
 */
public final class InboxOnce {

  /** Work run at most once per consumer and message id. */
  @FunctionalInterface
  public interface Work<X extends Exception> {
    /**
     * Applies the message, inside the transaction that records its id.
     *
     * @throws X to roll back the transaction (and with it the id)
     */
    void run() throws X;
  }

  private final Inbox inbox;
  private final DataSource dataSource;
  private final TransactionTemplate transactions;

  /**
   * An helper on {@code dataSource}, whose transactions {@code transactionManager} manages.
   *
   * @param inbox the inbox (table names, dialect)
   * @param dataSource the database holding the inbox table
   * @param transactionManager opens a transaction when the caller has none
   */
  public InboxOnce(
      Inbox inbox, DataSource dataSource, PlatformTransactionManager transactionManager) {
    this.inbox = Objects.requireNonNull(inbox, "inbox");
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.transactions = new TransactionTemplate(transactionManager);
  }

  /**
   * Runs {@code work} unless the record's message id (the CloudEvents {@code ce_id} header) was
   * recorded for {@code consumer} before.
   *
   * @param <X> what the work may throw
   * @param consumer the consumer name the id is recorded for, usually the listener's group id
   * @param record the Kafka record
   * @param work what the record does
   * @return true when the work ran, false for a duplicate
   * @throws IllegalArgumentException when the record has no {@code ce_id} header: pass an id with
   *     {@link #run(String, String, Work)}
   * @throws X what the work throws (the transaction then rolls back)
   */
  public <X extends Exception> boolean run(
      String consumer, ConsumerRecord<?, ?> record, Work<X> work) throws X {
    Header id = record.headers().lastHeader(CloudEventHeaders.ID);
    if (id == null || id.value() == null) {
      throw new IllegalArgumentException(
          "record "
              + record.topic()
              + "-"
              + record.partition()
              + "@"
              + record.offset()
              + " has no message id header "
              + CloudEventHeaders.ID
              + ": pass its id to InboxOnce.run(consumer, messageId, work)");
    }
    return run(consumer, new String(id.value(), StandardCharsets.UTF_8), work);
  }

  /**
   * Runs {@code work} unless {@code messageId} was recorded for {@code consumer} before.
   *
   * @param <X> what the work may throw
   * @param consumer the consumer name the id is recorded for, 1 to 255 characters
   * @param messageId the message id, 1 to 255 characters
   * @param work what the message does
   * @return true when the work ran, false for a duplicate
   * @throws X what the work throws (the transaction then rolls back)
   */
  public <X extends Exception> boolean run(String consumer, String messageId, Work<X> work)
      throws X {
    if (TransactionSynchronizationManager.isActualTransactionActive()) {
      return inCurrentTransaction(consumer, messageId, work);
    }
    Object[] failure = new Object[1];
    Boolean ran =
        transactions.execute(
            status -> {
              try {
                return inCurrentTransaction(consumer, messageId, work);
              } catch (RuntimeException e) {
                throw e;
              } catch (Exception e) {
                failure[0] = e;
                status.setRollbackOnly();
                return false;
              }
            });
    if (failure[0] != null) {
      @SuppressWarnings("unchecked")
      X x = (X) failure[0];
      throw x;
    }
    return Boolean.TRUE.equals(ran);
  }

  private <X extends Exception> boolean inCurrentTransaction(
      String consumer, String messageId, Work<X> work) throws X {
    var c = DataSourceUtils.getConnection(dataSource);
    try {
      if (!inbox.markHandled(c, consumer, messageId)) {
        return false;
      }
      work.run();
      return true;
    } finally {
      DataSourceUtils.releaseConnection(c, dataSource);
    }
  }
}
