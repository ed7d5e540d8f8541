package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * Writes a stream of messages in a background thread, one transaction per round with one message
 * per key (so each key's messages are written serially, {@code n} growing by one per round), until
 * closed. Remembers which transactions committed and which failed: a failed commit's outcome is
 * unknown (the connection may have died after the server committed), so its messages may or may not
 * exist.
 */
final class StreamWriter implements AutoCloseable {
  private final Set<String> committed = ConcurrentHashMap.newKeySet();
  private final Set<String> uncertain = ConcurrentHashMap.newKeySet();
  private final Map<String, String> names = new ConcurrentHashMap<>();
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicInteger bursts = new AtomicInteger();
  private final Thread thread;
  private volatile boolean stop;
  private volatile int burst;

  /**
   * @param database where to write (directly, never through a proxy)
   * @param keys how many keys ({@code k0..k<keys-1>})
   * @param pauseMillis pause between rounds
   * @param message builds the message of a key and round
   */
  StreamWriter(
      TestDatabase database,
      int keys,
      long pauseMillis,
      BiFunction<String, Integer, OutboxMessage> message) {
    this(database, keys, pauseMillis, List.of(Outbox.builder().build()), message, (c, round) -> {});
  }

  /**
   * What the writer does right after a commit, on the same connection (for example, note the WAL
   * position). A failure here does not make the committed round uncertain.
   */
  interface AfterCommit {
    void run(Connection connection, List<OutboxMessage> round) throws SQLException;
  }

  /**
   * @param database where to write (directly, never through a proxy)
   * @param keys how many keys ({@code k0..k<keys-1>})
   * @param pauseMillis pause between rounds
   * @param outboxes the writers' outboxes (write modes), taken in turn, one per transaction
   * @param message builds the message of a key and round
   * @param afterCommit runs after each commit
   */
  StreamWriter(
      TestDatabase database,
      int keys,
      long pauseMillis,
      List<Outbox> outboxes,
      BiFunction<String, Integer, OutboxMessage> message,
      AfterCommit afterCommit) {
    List<Outbox> modes = List.copyOf(outboxes);
    thread =
        new Thread(
            () -> {
              for (int n = 0, txn = 0; !stop; n++, txn++) {
                Outbox outbox = modes.get(txn % modes.size());
                int rounds = Math.max(1, burst);
                List<OutboxMessage> round = new ArrayList<>(keys * rounds);
                for (int i = 0; i < rounds; i++, n++) {
                  for (int k = 0; k < keys; k++) {
                    round.add(message.apply("k" + k, n));
                  }
                }
                n--;
                try (Connection c = database.connect()) {
                  c.setAutoCommit(false);
                  outbox.writeAll(c, round);
                  c.commit();
                  round.forEach(m -> committed.add(m.id().toString()));
                  if (rounds > 1) {
                    burst = 0;
                    bursts.incrementAndGet();
                  }
                  for (OutboxMessage m : round) {
                    names.put(
                        m.id().toString(),
                        m.key()
                            + "/"
                            + m.payload().asString()
                            + " committed "
                            + System.currentTimeMillis());
                  }
                  try {
                    afterCommit.run(c, round);
                  } catch (SQLException | RuntimeException e) {
                    // committed all the same: the hook's owner treats the round as not noted
                  }
                } catch (Exception e) {
                  round.forEach(m -> uncertain.add(m.id().toString()));
                  failures.incrementAndGet();
                  sleep(100);
                }
                sleep(pauseMillis);
              }
            },
            "stream-writer");
    thread.setDaemon(true);
    thread.start();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Writes {@code rounds} rounds in one transaction next (a backlog appears at once) and returns
   * once it committed.
   */
  void burst(int rounds) throws InterruptedException {
    int before = bursts.get();
    burst = rounds;
    long end = System.nanoTime() + 30_000_000_000L;
    while (bursts.get() == before) {
      if (System.nanoTime() > end) {
        throw new AssertionError("the burst of " + rounds + " rounds did not commit in 30 s");
      }
      Thread.sleep(1);
    }
  }

  /** Messages whose transaction committed. */
  int committedCount() {
    return committed.size();
  }

  /** Transactions that failed (the database was away). */
  int failures() {
    return failures.get();
  }

  /**
   * Asserts that every committed message is among {@code recs}, and that nothing arrived that was
   * never written (only messages of committed or failed transactions).
   */
  void assertEveryCommittedMessageArrived(List<Published.Rec> recs) {
    Set<String> arrived = new HashSet<>();
    recs.forEach(r -> arrived.add(r.id()));
    Set<String> missing = new HashSet<>(committed);
    missing.removeAll(arrived);
    List<String> missingPayloads = new ArrayList<>();
    missing.forEach(id -> missingPayloads.add(id + " " + names.get(id)));
    assertThat(missingPayloads)
        .as("committed messages missing in Kafka (of %d committed)", committed.size())
        .isEmpty();
    Set<String> invented = new HashSet<>(arrived);
    invented.removeAll(committed);
    invented.removeAll(uncertain);
    assertThat(invented).as("records that no transaction wrote").isEmpty();
  }

  /** Stops writing and waits for the round in progress. */
  @Override
  public void close() throws InterruptedException {
    stop = true;
    thread.join(30_000);
  }
}
