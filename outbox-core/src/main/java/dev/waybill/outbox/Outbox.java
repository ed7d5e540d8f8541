package dev.waybill.outbox;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.spi.TraceContextProvider;
import java.sql.Connection;
import java.util.List;
import java.util.Objects;
import org.jdbi.v3.core.Handle;

/**
 * Writes messages into the outbox table inside the caller's own transaction, so a message exists if
 * and only if the business change that wrote it commits. The writer never commits, rolls back or
 * closes the caller's connection, and refuses a connection in auto-commit mode.
 *
 * <pre>{@code
 * Outbox outbox = Outbox.builder().build();          // dialect detected, defaults
 * connection.setAutoCommit(false);
 * insertOrder(connection, order);
 * outbox.write(connection, OutboxMessage.builder()
 *     .topic("orders").key(order.id()).eventType("OrderPlaced")
 *     .jsonPayload(json).build());
 * connection.commit();
 * }</pre>
 *
 * <p>On PostgreSQL the write also sends {@code NOTIFY} (delivered only at commit) so that a relay
 * wakes at once; see {@link OutboxConfig#notifyEnabled()}.
 *
 * <p>Implementations are thread-safe: one instance serves the whole application.
 */
public interface Outbox {

  /**
   * A builder with the defaults of {@link OutboxConfig#defaults()}.
   *
   * @return a new builder; not thread-safe
   */
  static Builder builder() {
    return new Builder();
  }

  /**
   * Writes one message through the caller's open transaction.
   *
   * @param connection a connection with auto-commit off, inside the business transaction; never
   *     committed, rolled back or closed here
   * @param message the message to write
   * @return the message id (published as {@code ce_id})
   * @throws NotInTransactionException when the connection is in auto-commit mode
   * @throws InvalidMessageException when the message is larger than the configured limit
   * @throws OutboxWriteException when the database rejects the insert; roll back
   */
  default MessageId write(Connection connection, OutboxMessage message) {
    return writeAll(connection, List.of(message)).get(0);
  }

  /**
   * Writes messages, in list order, through the caller's open transaction, in one batch. Either all
   * are written or, on an exception, none is visible after the caller rolls back.
   *
   * @param connection a connection with auto-commit off, inside the business transaction; never
   *     committed, rolled back or closed here
   * @param messages the messages to write; an empty list writes nothing
   * @return the message ids, in list order
   * @throws NotInTransactionException when the connection is in auto-commit mode
   * @throws InvalidMessageException when any message is too large (nothing is written)
   * @throws OutboxWriteException when the database rejects the insert; roll back
   */
  List<MessageId> writeAll(Connection connection, List<OutboxMessage> messages);

  /**
   * Writes one message through a Jdbi handle that is inside a transaction ({@code
   * jdbi.useTransaction(h -> ...)}).
   *
   * @param handle a Jdbi handle inside a transaction; the transaction stays the caller's
   * @param message the message to write
   * @return the message id (published as {@code ce_id})
   * @throws NotInTransactionException when the handle is not in a transaction
   */
  default MessageId write(Handle handle, OutboxMessage message) {
    return writeAll(handle, List.of(message)).get(0);
  }

  /**
   * Writes messages through a Jdbi handle that is inside a transaction.
   *
   * @param handle a Jdbi handle inside a transaction; the transaction stays the caller's
   * @param messages the messages to write, in order
   * @return the message ids, in list order
   * @throws NotInTransactionException when the handle is not in a transaction
   */
  default List<MessageId> writeAll(Handle handle, List<OutboxMessage> messages) {
    Objects.requireNonNull(handle, "handle");
    if (!handle.isInTransaction()) {
      throw new NotInTransactionException(
          "outbox write refused: the Jdbi handle is not in a transaction, so the message would"
              + " commit on its own, outside your business change. Write inside"
              + " jdbi.useTransaction(handle -> ...) or call handle.begin() first.");
    }
    return writeAll(handle.getConnection(), messages);
  }

  /**
   * The settings this writer uses.
   *
   * @return the immutable configuration given to the builder
   */
  OutboxConfig config();

  /** Builds an {@link Outbox}. Not thread-safe. */
  final class Builder {
    private OutboxConfig config = OutboxConfig.defaults();
    private Dialect dialect;
    private TraceContextProvider traceContext = TraceContextProvider.current();

    private Builder() {}

    /**
     * The settings (default {@link OutboxConfig#defaults()}).
     *
     * @param config the writer's settings
     * @return this builder
     */
    public Builder config(OutboxConfig config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * The dialect; when not set, detected from the first connection written to.
     *
     * @param dialect the database's dialect, or null to detect it
     * @return this builder
     */
    public Builder dialect(Dialect dialect) {
      this.dialect = Objects.requireNonNull(dialect, "dialect");
      return this;
    }

    /**
     * Where {@code traceparent} comes from when a message has none (default {@link
     * TraceContextProvider#current()}: the current OpenTelemetry span, else the trace ids in the
     * MDC; {@link TraceContextProvider#none()} turns it off).
     *
     * @param traceContext the provider asked once per message without its own {@code traceparent}
     * @return this builder
     */
    public Builder traceContext(TraceContextProvider traceContext) {
      this.traceContext = Objects.requireNonNull(traceContext, "traceContext");
      return this;
    }

    /**
     * The writer; thread-safe.
     *
     * @return a new writer
     */
    public Outbox build() {
      return new JdbcOutbox(config, dialect, traceContext);
    }
  }
}
