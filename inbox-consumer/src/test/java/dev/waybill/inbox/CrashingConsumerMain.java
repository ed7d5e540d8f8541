package dev.waybill.inbox;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Map;

/**
 * A consumer in its own JVM that dies like {@code kill -9} (Runtime.halt: no shutdown hook, no
 * offset commit, the open transaction lost) inside the handler of one record. Record by record, one
 * long poll: records before the fatal one are committed in the database, their offsets are not.
 *
 * <p>Arguments: bootstrap, jdbc url, user, password, topic, group, seq to die at.
 */
public final class CrashingConsumerMain {
  private CrashingConsumerMain() {}

  public static void main(String[] args) throws Exception {
    int dieAt = Integer.parseInt(args[6]);
    HikariDataSource ds = new HikariDataSource();
    ds.setJdbcUrl(args[1]);
    ds.setUsername(args[2]);
    ds.setPassword(args[3]);
    InboxConsumer consumer =
        InboxConsumer.builder()
            .config(
                InboxConfig.builder()
                    .groupId(args[5])
                    .topics(args[4])
                    .batchEnabled(false)
                    .pollTimeout(Duration.ofSeconds(60))
                    .build())
            .dataSource(ds)
            .kafka(
                Map.of(
                    "bootstrap.servers", args[0],
                    "auto.offset.reset", "earliest",
                    "max.poll.records", "1000"))
            .defaultHandler(
                (m, tx) -> {
                  int seq = Integer.parseInt(m.header("seq").orElseThrow());
                  try (PreparedStatement st =
                      tx.connection()
                          .prepareStatement(
                              "INSERT INTO applied (message_id, msg_key, seq, worker)"
                                  + " VALUES (?, ?, ?, 'crashing')")) {
                    st.setString(1, m.messageId());
                    st.setString(2, m.key().orElse(null));
                    st.setInt(3, seq);
                    st.executeUpdate();
                  }
                  if (seq == dieAt) {
                    System.out.println("halting at seq " + seq);
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                  }
                })
            .build();
    consumer.start();
    Thread.sleep(120_000);
    System.exit(1); // never reached in the test: the handler halts first
  }
}
