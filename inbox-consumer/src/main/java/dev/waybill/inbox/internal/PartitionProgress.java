package dev.waybill.inbox.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * What is done of one assigned partition, for committing offsets only up to the first record not
 * yet done, and for revoking it safely: after {@link #revokeAndAwait} no record of it starts, and
 * none is running. One instance per assignment: a partition assigned again gets a new one, so
 * records fetched under an old assignment are never handled. Thread-safe. Not API.
 */
public final class PartitionProgress {
  private final TopicPartition partition;
  private final ArrayDeque<Long> pending = new ArrayDeque<>();
  private final Set<Long> done = new HashSet<>();
  private long committable = -1;
  private long committed = -1;
  private boolean revoked;
  private int running;

  /**
   * @param partition the partition
   */
  public PartitionProgress(TopicPartition partition) {
    this.partition = partition;
  }

  /** The partition. */
  public TopicPartition partition() {
    return partition;
  }

  /** Registers a polled record; offsets must increase. */
  public synchronized void register(long offset) {
    pending.addLast(offset);
  }

  /** Marks a record as started; false (and nothing to finish) when the partition is revoked. */
  public synchronized boolean tryStart() {
    if (revoked) {
      return false;
    }
    running++;
    return true;
  }

  /**
   * Ends a started record.
   *
   * @param offset its offset
   * @param isDone whether it is done (handled, duplicate, skipped or dead-lettered); false when it
   *     was abandoned and must be consumed again
   */
  public synchronized void finish(long offset, boolean isDone) {
    running--;
    if (isDone) {
      done.add(offset);
      while (!pending.isEmpty() && done.remove(pending.peekFirst())) {
        committable = pending.pollFirst() + 1;
      }
    }
    notifyAll();
  }

  /** The offset to commit (the first record not done), when it moved past what was committed. */
  public synchronized OptionalLong toCommit() {
    return committable > committed ? OptionalLong.of(committable) : OptionalLong.empty();
  }

  /** The offset to commit, whether or not it was committed already. */
  public synchronized OptionalLong committable() {
    return committable < 0 ? OptionalLong.empty() : OptionalLong.of(committable);
  }

  /** Records that {@code offset} was committed. */
  public synchronized void committed(long offset) {
    committed = Math.max(committed, offset);
  }

  /** Whether the partition was revoked (or the consumer is closing). */
  public synchronized boolean isRevoked() {
    return revoked;
  }

  /** Records polled and not yet done. */
  public synchronized int pendingCount() {
    return pending.size();
  }

  /**
   * Revokes the partition: no record of it starts from now on; waits until the running ones
   * finished, at most {@code timeout}.
   *
   * @return true when none is running any more
   */
  public synchronized boolean revokeAndAwait(Duration timeout) throws InterruptedException {
    revoked = true;
    notifyAll();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (running > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /**
   * Waits up to {@code millis}, returning early (false) when the partition is revoked.
   *
   * @return true when the full time passed, false when revoked
   */
  public synchronized boolean sleepUnlessRevoked(long millis) throws InterruptedException {
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (!revoked) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return false;
  }

  @Override
  public synchronized String toString() {
    return partition + "[pending=" + pending.size() + ", committable=" + committable + "]";
  }
}
