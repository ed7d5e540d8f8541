package dev.waybill.relay.internal;

import dev.waybill.outbox.jdbc.SqlIdentifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the relay loop: on PostgreSQL a thread listens on the outbox channel ({@code LISTEN}) and
 * signals on every notification; on every database {@link #await(long)} also returns after its
 * timeout, so a lost notification costs latency, never a message. Not API.
 */
public final class WakeUp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WakeUp.class);

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signalled = lock.newCondition();
  private boolean pending;
  private volatile boolean closed;
  private volatile boolean listening;
  private Thread listener;

  /** Starts listening on PostgreSQL; a no-op elsewhere. */
  public void listen(DataSource dataSource, SqlIdentifier channel, String instance) {
    listener =
        new Thread(
            () -> listenLoop(dataSource, channel, instance), "waybill-relay-listen-" + instance);
    listener.setDaemon(true);
    listener.start();
  }

  /** Whether a LISTEN connection is currently open. */
  public boolean listening() {
    return listening;
  }

  /** Wakes the waiting loop. */
  public void signal() {
    lock.lock();
    try {
      pending = true;
      signalled.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until signalled or {@code millis} pass; returns whether it was signalled. */
  public boolean await(long millis) throws InterruptedException {
    lock.lock();
    try {
      long nanos = TimeUnit.MILLISECONDS.toNanos(millis);
      while (!pending && nanos > 0 && !closed) {
        nanos = signalled.awaitNanos(nanos);
      }
      boolean was = pending;
      pending = false;
      return was;
    } finally {
      lock.unlock();
    }
  }

  private void listenLoop(DataSource dataSource, SqlIdentifier channel, String instance) {
    long backoff = 100;
    while (!closed) {
      try (Connection c = dataSource.getConnection()) {
        PGConnection pg = c.unwrap(PGConnection.class);
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + channel.name());
        }
        listening = true;
        backoff = 100;
        signal(); // anything committed while we were not listening
        while (!closed) {
          PGNotification[] got = pg.getNotifications(500);
          if (got != null && got.length > 0) {
            signal();
          }
          if (!c.isValid(1) && !closed) {
            throw new SQLException("LISTEN connection lost");
          }
        }
      } catch (SQLException | RuntimeException e) {
        listening = false;
        if (closed) {
          return;
        }
        LOG.warn(
            "relay {}: LISTEN {} failed ({}); polling continues, retrying in {} ms",
            instance,
            channel.name(),
            e.getMessage(),
            backoff);
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff = Math.min(10_000, backoff * 2);
      }
    }
    listening = false;
  }

  @Override
  public void close() {
    closed = true;
    signal();
    if (listener != null) {
      listener.interrupt();
    }
  }
}
