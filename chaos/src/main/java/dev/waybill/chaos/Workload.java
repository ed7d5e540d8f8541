package dev.waybill.chaos;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The applications that write: several threads commit business transactions, each updating its
 * aggregate row ({@code chaos_key}, which serializes the writers of one key, as an application's
 * aggregate row does) and writing outbox messages, through the Java writer ({@link Outbox}) or
 * plain SQL. Every committed message is recorded in {@code chaos_written} in the same transaction:
 * that table, not a counter of this program, is what the ledger calls "committed".
 *
 * <p>The mix: transactions rolled back on purpose after writing, long transactions that commit
 * seconds late, delayed messages (not for the CDC relay, which cannot delay and dead-letters them),
 * transactions of 2 or 3 messages of one key, and a scripted set of poison messages early in the
 * run: for the consumer, events of type {@value #POISON_TYPE} on keys {@code p-*}; for the relay, a
 * message larger than Kafka accepts (key {@code r-0}) and one to an invalid topic (key {@code
 * r-1}), each followed by more messages of its key. Poison keys get no writes after the script, so
 * that the redrive after the fix is the only way forward for them.
 */
final class Workload {
  static final String TOPIC = "chaos";
  static final String DEAD_LETTER_TOPIC = "chaos.DLT";
  static final String POISON_TYPE = "ChaosPoison";
  static final String EVENT_TYPE = "ChaosEvent";

  /** Not a legal Kafka topic name (spaces, '!'): the relay dead-letters it. */
  static final String BAD_TOPIC = "chaos bad topic!";

  /** Over the producer's default max.request.size (1 MiB). */
  static final int TOO_LARGE_BYTES = 1_500_000;

  static final int CONSUMER_POISON_KEYS = 2;

  /** How a message was written, recorded in {@code chaos_written.kind}. */
  enum Kind {
    JAVA,
    SQL,
    LONG,
    DELAYED,
    CONSUMER_POISON,
    RELAY_TOO_LARGE,
    RELAY_BAD_TOPIC;

    boolean relayPoison() {
      return this == RELAY_TOO_LARGE || this == RELAY_BAD_TOPIC;
    }
  }

  private record Planned(String key, Kind kind, boolean javaWriter, Instant availableAt) {}

  private final DataSource dataSource;
  private final Outbox outbox;
  private final long seed;
  private final int writers;
  private final double rate;
  private final int keys;
  private final boolean delays;
  private final AtomicLong committedTx = new AtomicLong();
  private final AtomicLong rolledBackMessages = new AtomicLong();
  private final AtomicLong failedTx = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  Workload(
      DataSource dataSource,
      Outbox outbox,
      long seed,
      int writers,
      double rate,
      int keys,
      boolean delays) {
    this.dataSource = dataSource;
    this.outbox = outbox;
    this.seed = seed;
    this.writers = writers;
    this.rate = rate;
    this.keys = keys;
    this.delays = delays;
  }

  static List<String> allKeys(int keys) {
    List<String> all = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      all.add(normalKey(i));
    }
    for (int i = 0; i < CONSUMER_POISON_KEYS; i++) {
      all.add("p-" + i);
    }
    all.add("r-0");
    all.add("r-1");
    return all;
  }

  private static String normalKey(int i) {
    return String.format(Locale.ROOT, "k-%03d", i);
  }

  static boolean isPoisonKey(String key) {
    return key != null && (key.startsWith("p-") || key.startsWith("r-"));
  }

  /** Starts the writer threads; the poison script runs first on the first one. */
  void start() {
    running = true;
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread t = new Thread(() -> write(writer), "writer-" + w);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  /** Stops writing and waits for the transactions in progress. */
  void stop() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(30_000);
    }
  }

  long committedTransactions() {
    return committedTx.get();
  }

  long rolledBackMessages() {
    return rolledBackMessages.get();
  }

  long failedTransactions() {
    return failedTx.get();
  }

  private void write(int writer) {
    Random random = new Random(seed * 1_000_003L + writer);
    if (writer == 0) {
      poisonScript();
    }
    long intervalNanos = (long) (writers * 1e9 / rate);
    long next = System.nanoTime();
    while (running) {
      next += intervalNanos;
      long wait = next - System.nanoTime();
      if (wait > 0) {
        sleep(wait / 1_000_000);
      } else if (wait < -1_000_000_000L) {
        next = System.nanoTime(); // behind by more than a second (a fault): no burst to catch up
      }
      String key = normalKey(random.nextInt(keys));
      double roll = random.nextDouble();
      List<Planned> messages = new ArrayList<>();
      int count = random.nextDouble() < 0.1 ? 2 + random.nextInt(2) : 1;
      boolean rollBack = roll < 0.05;
      long holdMillis = 0;
      for (int i = 0; i < count; i++) {
        Kind kind;
        Instant availableAt = null;
        if (roll >= 0.05 && roll < 0.08) {
          kind = Kind.LONG;
          holdMillis = 1_000 + random.nextInt(3_000);
        } else if (roll >= 0.08 && roll < 0.16 && delays) {
          kind = Kind.DELAYED;
          availableAt = Instant.now().plusMillis(1_000 + random.nextInt(4_000));
        } else if (roll >= 0.16 && roll < 0.46) {
          kind = Kind.SQL;
        } else {
          kind = Kind.JAVA;
        }
        messages.add(new Planned(key, kind, kind != Kind.SQL, availableAt));
      }
      transaction(messages, holdMillis, rollBack);
    }
  }

  /**
   * The poison messages, early in the run and each followed by normal messages of its key: the
   * consumer dead-letters a poison event and parks its key; the relay dead-letters a message that
   * is too large or has an invalid topic and parks its key.
   */
  private void poisonScript() {
    for (int i = 0; i < CONSUMER_POISON_KEYS; i++) {
      String key = "p-" + i;
      for (Kind kind : List.of(Kind.JAVA, Kind.CONSUMER_POISON, Kind.JAVA, Kind.SQL, Kind.JAVA)) {
        transaction(List.of(new Planned(key, kind, kind != Kind.SQL, null)), 0, false);
      }
    }
    for (Kind kind : List.of(Kind.JAVA, Kind.RELAY_TOO_LARGE, Kind.JAVA, Kind.SQL)) {
      transaction(List.of(new Planned("r-0", kind, kind == Kind.JAVA, null)), 0, false);
    }
    for (Kind kind : List.of(Kind.JAVA, Kind.RELAY_BAD_TOPIC, Kind.JAVA)) {
      transaction(List.of(new Planned("r-1", kind, kind == Kind.JAVA, null)), 0, false);
    }
  }

  private void transaction(List<Planned> messages, long holdMillis, boolean rollBack) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        List<Object[]> written = new ArrayList<>();
        for (Planned m : messages) {
          int seq = nextSeq(c, m.key());
          String id = m.javaWriter() ? writeJava(c, m, seq) : writeSql(c, m, seq);
          written.add(new Object[] {id, m, seq});
        }
        if (holdMillis > 0) {
          sleep(holdMillis); // a long transaction: its outbox rows took their seq long ago
        }
        if (rollBack) {
          c.rollback();
          rolledBackMessages.addAndGet(messages.size());
          return;
        }
        for (Object[] w : written) {
          record(c, (String) w[0], (Planned) w[1], (Integer) w[2]);
        }
        c.commit();
        committedTx.incrementAndGet();
      } catch (SQLException | RuntimeException e) {
        failedTx.incrementAndGet();
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is gone: so is the transaction
        }
      }
    } catch (SQLException e) {
      failedTx.incrementAndGet();
      sleep(200); // the database is away (a fault): try again a little later
    }
  }

  /** Locks the key's aggregate row (writers of one key take turns) and counts the message. */
  private static int nextSeq(Connection c, String key) throws SQLException {
    int seq;
    try (PreparedStatement st =
        c.prepareStatement("SELECT last_seq FROM chaos_key WHERE msg_key = ? FOR UPDATE")) {
      st.setString(1, key);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("no aggregate row for key " + key);
        }
        seq = rs.getInt(1) + 1;
      }
    }
    try (PreparedStatement st =
        c.prepareStatement("UPDATE chaos_key SET last_seq = ? WHERE msg_key = ?")) {
      st.setInt(1, seq);
      st.setString(2, key);
      st.executeUpdate();
    }
    return seq;
  }

  private static String payload(String key, int seq) {
    return "{\"key\":\"" + key + "\",\"seq\":" + seq + ",\"note\":\"chaos soak\"}";
  }

  private String writeJava(Connection c, Planned m, int seq) {
    OutboxMessage.Builder b =
        OutboxMessage.builder()
            .topic(TOPIC)
            .key(m.key())
            .eventType(m.kind() == Kind.CONSUMER_POISON ? POISON_TYPE : EVENT_TYPE)
            .jsonPayload(payload(m.key(), seq));
    if (m.availableAt() != null) {
      b.notBefore(m.availableAt());
    }
    return outbox.write(c, b.build()).toString();
  }

  private static String writeSql(Connection c, Planned m, int seq) throws SQLException {
    byte[] payload;
    if (m.kind() == Kind.RELAY_TOO_LARGE) {
      payload = new byte[TOO_LARGE_BYTES];
      Arrays.fill(payload, (byte) 'x');
    } else {
      payload = payload(m.key(), seq).getBytes(StandardCharsets.UTF_8);
    }
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO waybill_outbox (topic, msg_key, event_type, payload, available_at)"
                + " VALUES (?, ?, ?, ?, ?) RETURNING id")) {
      st.setString(1, m.kind() == Kind.RELAY_BAD_TOPIC ? BAD_TOPIC : TOPIC);
      st.setString(2, m.key());
      st.setString(3, EVENT_TYPE);
      st.setBytes(4, payload);
      st.setTimestamp(5, m.availableAt() == null ? null : Timestamp.from(m.availableAt()));
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static void record(Connection c, String id, Planned m, int seq) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "INSERT INTO chaos_written (message_id, msg_key, key_seq, kind, available_at)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      st.setString(1, id);
      st.setString(2, m.key());
      st.setInt(3, seq);
      st.setString(4, m.kind().name());
      st.setTimestamp(5, m.availableAt() == null ? null : Timestamp.from(m.availableAt()));
      st.executeUpdate();
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(Math.max(0, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
