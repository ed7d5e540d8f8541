package dev.waybill.relay.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the polling relay's claims on a thread and a connection of their own, so that the next claim
 * overlaps the loop's work on the current batch (building and handing records to the producer). The
 * connection is taken from the pool at the first claim and kept: on PostgreSQL its session carries
 * the claim's planner settings ({@link OutboxStore#prepareClaimSession}), so that each claim is one
 * round trip. After a database error the connection goes back to the pool and the next claim takes
 * a new one. Used by one loop thread. Not API.
 */
public final class Claimer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Claimer.class);

  private final OutboxStore store;
  private final DataSource dataSource;
  private final String instance;
  private final ExecutorService executor;
  private Connection session; // used on the claim thread only

  /**
   * @param store the outbox
   * @param dataSource where the claim connection comes from
   * @param instance the relay id, for the thread name and log lines
   */
  public Claimer(OutboxStore store, DataSource dataSource, String instance) {
    this.store = store;
    this.dataSource = dataSource;
    this.instance = instance;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "waybill-relay-claim-" + instance);
              t.setDaemon(true);
              return t;
            });
  }

  /** What to claim: see {@link OutboxStore#claimOn}. */
  public record Request(
      int shardCount,
      Collection<Integer> ownedShards,
      long afterSeq,
      Collection<Long> exclude,
      int limit,
      long maxBytes) {}

  /** Starts a claim on the claim thread; claims run one after another in the order started. */
  public Future<List<OutboxRow>> start(Request r) {
    return executor.submit(() -> run(r));
  }

  /** Claims and waits for the rows. */
  public List<OutboxRow> claim(Request r) throws SQLException, InterruptedException {
    return await(start(r));
  }

  /**
   * The rows of a claim started with {@link #start}.
   *
   * @throws SQLException when the claim failed
   * @throws InterruptedException when the loop is stopped meanwhile
   */
  public static List<OutboxRow> await(Future<List<OutboxRow>> f)
      throws SQLException, InterruptedException {
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof SQLException s) {
        throw s;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(c);
    } catch (CancellationException e) {
      throw new InterruptedException("the claim was cancelled: the relay stops");
    }
  }

  /** Drops a claim that was started and is no longer wanted: its rows are never sent. */
  public static void discard(Future<List<OutboxRow>> f) {
    if (f != null) {
      f.cancel(false);
    }
  }

  private List<OutboxRow> run(Request r) throws SQLException {
    try {
      if (session == null) {
        Connection c = dataSource.getConnection();
        try {
          store.prepareClaimSession(c);
        } catch (SQLException | RuntimeException e) {
          c.close();
          throw e;
        }
        session = c;
      }
      return store.claimOn(
          session,
          r.shardCount(),
          r.ownedShards(),
          r.afterSeq(),
          r.exclude(),
          r.limit(),
          r.maxBytes());
    } catch (SQLException | RuntimeException e) {
      closeSession();
      throw e;
    }
  }

  private void closeSession() {
    Connection c = session;
    session = null;
    if (c == null) {
      return;
    }
    try {
      try {
        store.endClaimSession(c); // the pool's other users must not inherit the settings
      } catch (SQLException e) {
        // a broken connection: the pool drops it when it is closed
        LOG.debug("relay {}: claim session not reset: {}", instance, e.getMessage());
      }
      c.close();
    } catch (SQLException e) {
      LOG.debug("relay {}: claim connection not closed cleanly: {}", instance, e.getMessage());
    }
  }

  /**
   * Waits up to {@code millis} for a running claim, gives the connection back, stops the thread.
   */
  public void close(long millis) {
    try {
      executor.submit(this::closeSession);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return; // closed already
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    close(10_000);
  }
}
