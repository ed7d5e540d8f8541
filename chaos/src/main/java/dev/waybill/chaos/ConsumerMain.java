package dev.waybill.chaos;

import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.inbox.InboxMessage;
import dev.waybill.inbox.InboxTransaction;
import dev.waybill.outbox.jdbc.DataSources;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A consuming application as the rig deploys it, twice, in one group: an ordered-mode {@link
 * InboxConsumer} whose handler writes one row into {@code chaos_effect} in the inbox transaction.
 * Events of type {@value Workload#POISON_TYPE} fail every attempt until the "fix" is deployed (a
 * row in {@code chaos_fix}, read in the same transaction), so they are dead-lettered and park their
 * key until the DLQ tool redrives them.
 *
 * <p>{@code java -cp waybill-chaos.jar dev.waybill.chaos.ConsumerMain DB_URL DB_USER BOOTSTRAP
 * INSTANCE}, the database password in {@code WAYBILL_DB_PASSWORD}; runs until SIGTERM (graceful
 * close) or SIGKILL.
 */
public final class ConsumerMain {
  static final String GROUP = "chaos-effects";
  private static final Pattern SEQ = Pattern.compile("\"seq\":(\\d+)");

  private ConsumerMain() {}

  /**
   * Entry point.
   *
   * @param args the database URL and user, the bootstrap servers and this process's instance id
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 4) {
      System.err.println(
          "usage: WAYBILL_DB_PASSWORD=... ConsumerMain DB_URL DB_USER BOOTSTRAP INSTANCE");
      System.exit(2);
    }
    String password = System.getenv().getOrDefault("WAYBILL_DB_PASSWORD", "");
    String bootstrap = args[2];
    String instance = args[3];
    HikariDataSource dataSource =
        DataSources.create(DatabaseSettings.of(args[0], args[1], password), instance);
    InboxConsumer consumer =
        InboxConsumer.builder()
            .config(
                InboxConfig.builder()
                    .groupId(GROUP)
                    .topics(Workload.TOPIC)
                    .ordered(true)
                    .concurrency(2)
                    .maxAttempts(3)
                    .backoff(Duration.ofMillis(100), 2.0, Duration.ofMillis(400), 0.5)
                    .pollTimeout(Duration.ofMillis(200))
                    .shutdownTimeout(Duration.ofSeconds(10))
                    .build())
            .dataSource(dataSource)
            .kafka(
                Map.of(
                    "bootstrap.servers", bootstrap,
                    "client.id", instance,
                    "auto.offset.reset", "earliest",
                    // a killed consumer's partitions move within 10 s, not the default 45 s
                    "session.timeout.ms", "10000",
                    "heartbeat.interval.ms", "2000"))
            .producer(Map.of("client.id", instance + "-dlt"))
            .defaultHandler((m, tx) -> apply(m, tx, instance))
            .build();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  consumer.close();
                  dataSource.close();
                  stopped.countDown();
                }));
    consumer.start();
    System.out.println("consumer " + instance + " started");
    stopped.await();
  }

  private static void apply(InboxMessage m, InboxTransaction tx, String instance)
      throws SQLException {
    String type = m.eventType().orElse("");
    if (type.equals(Workload.POISON_TYPE) && !fixed(tx)) {
      throw new IllegalStateException(
          "no handler for poison event " + m.messageId() + " until the fix is deployed");
    }
    Matcher seq = SEQ.matcher(m.valueAsString());
    if (!seq.find()) {
      throw new IllegalArgumentException("message " + m.messageId() + " has no seq in its payload");
    }
    try (PreparedStatement st =
        tx.connection()
            .prepareStatement(
                "INSERT INTO chaos_effect (message_id, msg_key, key_seq, consumer)"
                    + " VALUES (?, ?, ?, ?)")) {
      st.setString(1, m.messageId());
      st.setString(2, m.key().orElse(null));
      st.setInt(3, Integer.parseInt(seq.group(1)));
      st.setString(4, instance);
      st.executeUpdate();
    }
  }

  private static boolean fixed(InboxTransaction tx) throws SQLException {
    try (PreparedStatement st = tx.connection().prepareStatement("SELECT 1 FROM chaos_fix");
        ResultSet rs = st.executeQuery()) {
      return rs.next();
    }
  }
}
