package dev.waybill.inbox;

import dev.waybill.inbox.internal.InboxStore;
import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.schema.TableNames;
import java.sql.Connection;
import java.time.Instant;
import java.util.Objects;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;

/**
 * The exactly-once step on its own, for any transport (a webhook, a RabbitMQ listener, a batch
 * file): given a transaction, a consumer name and a message id, run this work once. The id is
 * recorded in the inbox table in the same transaction as the work's writes, so they commit
 * together; a second call with the same consumer and id (after the first committed) does not run
 * the work. A concurrent second call waits for the first transaction and then skips (if it
 * committed) or runs (if it rolled back).
 *
 * <pre>{@code
 * Inbox inbox = Inbox.create();
 * boolean ran = inbox.runOnce(dataSource, "payments-webhook", event.id(), c -> {
 *   applyPayment(c, event);                   // commits with the inbox row, or not at all
 * });
 * }</pre>
 *
 * <p>Thread-safe. The {@link InboxConsumer} uses the same table and rules; its consumer name is the
 * Kafka consumer group.
 */
public interface Inbox {

  /** Work on a JDBC connection inside the inbox transaction. */
  @FunctionalInterface
  interface ConnectionWork<X extends Exception> {
    /**
     * @param connection the inbox transaction's connection; do not commit, roll back or close it
     * @throws X to roll back
     */
    void run(Connection connection) throws X;
  }

  /** Work on a Jdbi handle inside the inbox transaction. */
  @FunctionalInterface
  interface HandleWork<X extends Exception> {
    /**
     * @param handle the inbox transaction's handle; do not commit, roll back or close it
     * @throws X to roll back
     */
    void run(Handle handle) throws X;
  }

  /**
   * An inbox on the default table ({@code waybill_inbox}); the dialect is detected.
   *
   * @return a new inbox; thread-safe
   */
  static Inbox create() {
    return builder().build();
  }

  /**
   * A builder: table names and dialect.
   *
   * @return a new builder; not thread-safe
   */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Records the id in the caller's transaction and runs {@code work} on the same connection, unless
   * the id was recorded before. The caller commits or rolls back; this method never does.
   *
   * @param <X> what the work may throw
   * @param connection a connection with auto-commit off, inside the caller's transaction
   * @param consumer the consumer name the id is recorded for, 1 to 255 characters
   * @param messageId the message id, 1 to 255 characters
   * @param work what the message does; runs at most once per consumer and id (once committed)
   * @return true when the work ran, false for a duplicate
   * @throws NotInTransactionException when the connection is in auto-commit mode
   * @throws IllegalArgumentException when the consumer or id is blank or longer than 255
   * @throws InboxException when the inbox table cannot be written
   * @throws X what the work throws (the caller should then roll back)
   */
  <X extends Exception> boolean runOnce(
      Connection connection, String consumer, String messageId, ConnectionWork<X> work) throws X;

  /**
   * As {@link #runOnce(Connection, String, String, ConnectionWork)}, on a Jdbi handle that is in a
   * transaction ({@code jdbi.useTransaction(h -> inbox.runOnce(h, ...))}).
   *
   * @param <X> what the work may throw
   * @param handle a Jdbi handle inside the caller's transaction
   * @param consumer the consumer name the id is recorded for, 1 to 255 characters
   * @param messageId the message id, 1 to 255 characters
   * @param work what the message does; runs at most once per consumer and id (once committed)
   * @return true when the work ran, false for a duplicate
   * @throws X what the work throws (the caller should then roll back)
   */
  <X extends Exception> boolean runOnce(
      Handle handle, String consumer, String messageId, HandleWork<X> work) throws X;

  /**
   * Runs {@code work} once in a new transaction on a connection of {@code dataSource}: commits when
   * it returns, rolls back when it throws.
   *
   * @param <X> what the work may throw
   * @param dataSource where the connection comes from; it is returned after the commit or rollback
   * @param consumer the consumer name the id is recorded for, 1 to 255 characters
   * @param messageId the message id, 1 to 255 characters
   * @param work what the message does
   * @return true when the work ran and committed, false for a duplicate
   * @throws InboxException when the database fails (rolled back)
   * @throws X what the work throws (rolled back)
   */
  <X extends Exception> boolean runOnce(
      DataSource dataSource, String consumer, String messageId, ConnectionWork<X> work) throws X;

  /**
   * Records the id in the caller's transaction, without work: the low-level step.
   *
   * @param connection a connection with auto-commit off, inside the caller's transaction
   * @param consumer the consumer name, 1 to 255 characters
   * @param messageId the message id, 1 to 255 characters
   * @return true when recorded now (first time), false for a duplicate
   */
  boolean markHandled(Connection connection, String consumer, String messageId);

  /**
   * Whether the id is recorded (committed) for the consumer.
   *
   * @param dataSource the database holding the inbox table
   * @param consumer the consumer name
   * @param messageId the message id
   * @return true when a committed record exists
   */
  boolean isHandled(DataSource dataSource, String consumer, String messageId);

  /**
   * Deletes the consumer's ids recorded before {@code cutoff}, in statements of at most {@code
   * batchSize} rows, each in its own short transaction.
   *
   * @param dataSource the database holding the inbox table
   * @param consumer the consumer name whose ids expire
   * @param cutoff ids recorded before this instant (database time) are deleted
   * @param batchSize the most rows one statement deletes
   * @return the number of ids deleted
   */
  long deleteHandledBefore(DataSource dataSource, String consumer, Instant cutoff, int batchSize);

  /**
   * The table names used.
   *
   * @return the table names given to the builder
   */
  TableNames tables();

  /** Builds an {@link Inbox}. Not thread-safe. */
  final class Builder {
    private TableNames tables = TableNames.defaults();
    private Dialect dialect;

    private Builder() {}

    /**
     * The table names (the inbox table is {@link TableNames#inbox()}).
     *
     * @param tables the table names
     * @return this builder
     */
    public Builder tables(TableNames tables) {
      this.tables = Objects.requireNonNull(tables, "tables");
      return this;
    }

    /**
     * The dialect; detected from each connection when not set.
     *
     * @param dialect the dialect, or null to detect it
     * @return this builder
     */
    public Builder dialect(Dialect dialect) {
      this.dialect = dialect;
      return this;
    }

    /**
     * The inbox.
     *
     * @return a new inbox; thread-safe
     */
    public Inbox build() {
      return new JdbcInbox(new InboxStore(tables, dialect));
    }
  }
}
