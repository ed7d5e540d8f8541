package dev.waybill.inbox;

import dev.waybill.inbox.internal.InboxStore;
import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.schema.TableNames;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;

/** The {@link Inbox} over plain JDBC statements from the dialect. */
final class JdbcInbox implements Inbox {
  private final InboxStore store;

  JdbcInbox(InboxStore store) {
    this.store = store;
  }

  @Override
  public <X extends Exception> boolean runOnce(
      Connection connection, String consumer, String messageId, ConnectionWork<X> work) throws X {
    if (!markHandled(connection, consumer, messageId)) {
      return false;
    }
    work.run(connection);
    return true;
  }

  @Override
  public <X extends Exception> boolean runOnce(
      Handle handle, String consumer, String messageId, HandleWork<X> work) throws X {
    if (!handle.isInTransaction()) {
      throw new NotInTransactionException(
          "the Jdbi handle given to the inbox for consumer '"
              + consumer
              + "' is not in a transaction: call runOnce inside jdbi.useTransaction(...) so the"
              + " id and the work commit together");
    }
    if (!markHandled(handle.getConnection(), consumer, messageId)) {
      return false;
    }
    work.run(handle);
    return true;
  }

  @Override
  public <X extends Exception> boolean runOnce(
      DataSource dataSource, String consumer, String messageId, ConnectionWork<X> work) throws X {
    InboxStore.checkId("consumer", consumer);
    InboxStore.checkId("message id", messageId);
    Connection c;
    try {
      c = dataSource.getConnection();
    } catch (SQLException e) {
      throw new InboxException(
          "inbox for consumer '" + consumer + "': cannot get a connection: " + e.getMessage(), e);
    }
    try (c) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        boolean ran = runOnce(c, consumer, messageId, work);
        if (ran) {
          c.commit();
        } else {
          c.rollback();
        }
        return ran;
      } catch (Exception e) {
        try {
          c.rollback();
        } catch (SQLException r) {
          e.addSuppressed(r);
        }
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      throw new InboxException(
          "inbox for consumer '"
              + consumer
              + "', message "
              + messageId
              + ": the transaction failed and was rolled back: "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public boolean markHandled(Connection connection, String consumer, String messageId) {
    InboxStore.checkId("consumer", consumer);
    InboxStore.checkId("message id", messageId);
    try {
      if (connection.getAutoCommit()) {
        throw new NotInTransactionException(
            "the connection given to the inbox for consumer '"
                + consumer
                + "' is in auto-commit mode: the id would commit on its own, apart from the work;"
                + " call connection.setAutoCommit(false) first and commit after the work");
      }
      return store.insertIfAbsent(connection, consumer, messageId);
    } catch (SQLException e) {
      throw new InboxException(
          "inbox for consumer '"
              + consumer
              + "': recording message "
              + messageId
              + " in "
              + store.tables().inboxTable()
              + " failed: "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public boolean isHandled(DataSource dataSource, String consumer, String messageId) {
    InboxStore.checkId("consumer", consumer);
    InboxStore.checkId("message id", messageId);
    try (Connection c = dataSource.getConnection()) {
      return store.isRecorded(c, consumer, messageId);
    } catch (SQLException e) {
      throw new InboxException(
          "inbox for consumer '"
              + consumer
              + "': reading message "
              + messageId
              + " failed: "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public long deleteHandledBefore(
      DataSource dataSource, String consumer, Instant cutoff, int batchSize) {
    InboxStore.checkId("consumer", consumer);
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize " + batchSize + " must be at least 1");
    }
    return store.deleteExpired(dataSource, consumer, cutoff, batchSize, Integer.MAX_VALUE);
  }

  @Override
  public TableNames tables() {
    return store.tables();
  }

  @Override
  public String toString() {
    return "Inbox[table=" + store.tables().inboxTable() + "]";
  }
}
