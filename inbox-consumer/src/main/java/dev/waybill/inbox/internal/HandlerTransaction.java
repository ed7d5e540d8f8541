package dev.waybill.inbox.internal;

import dev.waybill.inbox.InboxTransaction;
import java.sql.Connection;
import org.jdbi.v3.core.Handle;

/** The {@link InboxTransaction} given to a handler; closes its lazily opened handle. Not API. */
public final class HandlerTransaction implements InboxTransaction, AutoCloseable {
  private final Connection connection;
  private final String consumerGroup;
  private final HandleFactory handles;
  private Handle handle;

  /**
   * @param connection the transaction's connection
   * @param consumerGroup the consumer the id is recorded for
   * @param handles where a Jdbi handle comes from on first use
   */
  public HandlerTransaction(Connection connection, String consumerGroup, HandleFactory handles) {
    this.connection = connection;
    this.consumerGroup = consumerGroup;
    this.handles = handles;
  }

  @Override
  public Connection connection() {
    return connection;
  }

  @Override
  public Handle handle() {
    if (handle == null) {
      handle = handles.open(connection);
    }
    return handle;
  }

  @Override
  public String consumerGroup() {
    return consumerGroup;
  }

  /** Closes the handle, if one was opened; the connection and its transaction stay open. */
  @Override
  public void close() {
    if (handle != null) {
      handle.close();
      handle = null;
    }
  }
}
