package dev.waybill.inbox;

import java.sql.Connection;
import org.jdbi.v3.core.Handle;

/**
 * The database transaction a handler runs in. The message's id is already recorded in it: whatever
 * the handler writes through {@link #connection()} or {@link #handle()} commits together with the
 * id, or rolls back with it. Do not commit, roll back, close or switch auto-commit yourself: the
 * consumer does that after the handler returns (commit) or throws (rollback).
 *
 * <p>Valid only during the handler call; not thread-safe (use it from the handler's thread).
 */
public interface InboxTransaction {

  /**
   * The JDBC connection of the transaction (auto-commit off).
   *
   * @return the connection; do not commit, roll back or close it
   */
  Connection connection();

  /**
   * A Jdbi handle on the same connection and transaction, opened on first use and closed by the
   * consumer after the handler returns.
   *
   * @return the handle; do not commit, roll back or close it
   */
  Handle handle();

  /**
   * The consumer group (or, with {@link Inbox}, the consumer name) the id is recorded for.
   *
   * @return the name the inbox row is recorded under
   */
  String consumerGroup();
}
