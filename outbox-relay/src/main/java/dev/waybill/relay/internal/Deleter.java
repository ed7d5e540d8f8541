package dev.waybill.relay.internal;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes acknowledged outbox rows on a thread of its own, so that the polling relay's loop claims
 * and sends the next batch while the previous one's DELETE commits. Rows stay in {@link #pending()}
 * until their DELETE committed or failed; the polling loop excludes them from its claims, so an
 * acknowledged row is never claimed again while its DELETE is on the way, and a DELETE that fails
 * only makes the rows claimable again (they are published a second time: at-least-once). The CDC
 * relay uses it in table mode so that its WAL reader never waits for a DELETE. At most {@code
 * MAX_QUEUED} DELETEs wait at a time; {@link #submit} blocks beyond that, so a slow database slows
 * the loop instead of growing the exclusion list without bound. The submitted lists are kept as
 * they are (the caller must not change them), not copied row by row. Used by one loop thread. Not
 * API.
 */
public final class Deleter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Deleter.class);
  private static final int MAX_QUEUED = 2;

  private final OutboxStore store;
  private final String instance;
  private final String onFailure;
  private final ExecutorService executor;
  // the batches whose DELETE has not committed: kept as the lists submitted, not row by row
  private final Queue<List<Long>> pending = new ConcurrentLinkedQueue<>();
  private final Deque<Future<?>> queued = new ArrayDeque<>();
  private final ConcurrentSkipListSet<Long> failed = new ConcurrentSkipListSet<>();
  private final boolean trackFailures;
  private long submitted;
  private volatile long completed;

  /**
   * @param store the outbox
   * @param instance the relay id, for the thread name and log lines
   * @param onFailure what happens to rows whose DELETE failed, for the log line
   */
  public Deleter(OutboxStore store, String instance, String onFailure) {
    this(store, instance, onFailure, false);
  }

  /**
   * @param store the outbox
   * @param instance the relay id, for the thread name and log lines
   * @param onFailure what happens to rows whose DELETE failed, for the log line
   * @param trackFailures whether to remember failed DELETEs for {@link #firstFailureAfter}
   */
  public Deleter(OutboxStore store, String instance, String onFailure, boolean trackFailures) {
    this.trackFailures = trackFailures;
    this.store = store;
    this.instance = instance;
    this.onFailure = onFailure;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "waybill-relay-delete-" + instance);
              t.setDaemon(true);
              return t;
            });
  }

  /** Queues a DELETE of these published rows; blocks while {@code MAX_QUEUED} are waiting. */
  public void submit(List<Long> seqs) throws InterruptedException {
    if (seqs.isEmpty()) {
      return;
    }
    while (queued.size() >= MAX_QUEUED) {
      await(queued.removeFirst());
    }
    enqueue(seqs);
  }

  private void enqueue(List<Long> seqs) {
    pending.add(seqs);
    long ticket = ++submitted;
    queued.addLast(
        executor.submit(
            () -> {
              try {
                if (!delete(seqs) && trackFailures) {
                  failed.add(ticket);
                }
              } finally {
                completed = ticket; // one thread, in submission order: monotonic
              }
            }));
  }

  /** How many DELETEs were queued so far (their tickets are 1 to this number). */
  public long submitted() {
    return submitted;
  }

  /**
   * The ticket of the last DELETE that committed or failed; every earlier one has too. A failed
   * DELETE counts as done (its rows stay in the table, as logged); {@link #firstFailureAfter} tells
   * which failed.
   */
  public long completed() {
    return completed;
  }

  /**
   * Queues a DELETE of these rows unless {@code MAX_QUEUED} are still waiting; never blocks.
   *
   * @return whether the DELETE was queued (when not, the caller keeps the rows and offers them
   *     again later, together with newer ones)
   */
  public boolean offer(List<Long> seqs) {
    while (!queued.isEmpty() && queued.peekFirst().isDone()) {
      queued.removeFirst();
    }
    if (queued.size() >= MAX_QUEUED) {
      return false;
    }
    if (!seqs.isEmpty()) {
      enqueue(seqs);
    }
    return true;
  }

  /** Rows whose DELETE has not committed yet (a copy; claims must skip them). */
  public Collection<Long> pending() {
    if (pending.isEmpty()) {
      return List.of();
    }
    List<Long> out = new ArrayList<>();
    for (List<Long> batch : pending) {
      out.addAll(batch);
    }
    return out;
  }

  /** Waits until every queued DELETE has committed or failed. */
  public void drain() throws InterruptedException {
    while (!queued.isEmpty()) {
      await(queued.removeFirst());
    }
  }

  /**
   * The ticket of the first DELETE after {@code ticket} that failed (its rows stay in the table),
   * if one did and {@link #completed()} has reached it. Failures up to {@code ticket} are
   * forgotten. Always empty unless the deleter was created to track failures.
   */
  public OptionalLong firstFailureAfter(long ticket) {
    failed.headSet(ticket, true).clear();
    Long first = failed.isEmpty() ? null : failed.first();
    return first == null ? OptionalLong.empty() : OptionalLong.of(first);
  }

  private boolean delete(List<Long> seqs) {
    try {
      store.delete(seqs);
      return true;
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "relay {}: {} published rows could not be deleted ({}); {}",
          instance,
          seqs.size(),
          e.getMessage(),
          onFailure);
      return false;
    } finally {
      pending.removeIf(b -> b == seqs); // by identity: two batches never share a list
    }
  }

  private static void await(Future<?> f) throws InterruptedException {
    try {
      f.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("the delete task failed", e.getCause()); // never: caught
    }
  }

  /** Waits up to {@code millis} for queued DELETEs, then stops the thread. */
  public void close(long millis) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    queued.clear();
  }

  @Override
  public void close() {
    close(10_000);
  }
}
