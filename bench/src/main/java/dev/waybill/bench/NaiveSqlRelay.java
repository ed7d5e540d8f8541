package dev.waybill.bench;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The baseline DESIGN.md names next to the bare producer: "a naive single-threaded SQL relay (SKIP
 * LOCKED batch of 1,000, async send, DELETE, no leases, no headers)", so that its ratio to the bare
 * producer can be measured in the same run as Waybill's relay instead of being taken from the
 * reference table. One connection, one producer (acks=all, idempotent, Kafka's defaults otherwise,
 * as the {@code bare} variant), and per batch, in one transaction: lock up to 1,000 rows in {@code
 * seq} order with {@code FOR UPDATE SKIP LOCKED}, send them all asynchronously, wait for every
 * acknowledgement, delete them, commit. Nothing overlaps and nothing of Waybill's promises is kept
 * (no shards, no leases, no headers, no dead letters). Benchmark code only.
 */
final class NaiveSqlRelay {
  static final int BATCH = 1000;

  private NaiveSqlRelay() {}

  /**
   * Drains the outbox table to Kafka; returns the number of rows published.
   *
   * @param postgres whether the database is PostgreSQL (array DELETE) or MariaDB/MySQL (IN list)
   */
  static long drain(Connection c, boolean postgres, String bootstrap, String clientId)
      throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    long published = 0;
    c.setAutoCommit(false);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p);
        PreparedStatement claim =
            c.prepareStatement(
                "SELECT seq, topic, msg_key, payload FROM waybill_outbox ORDER BY seq LIMIT "
                    + BATCH
                    + " FOR UPDATE SKIP LOCKED")) {
      while (true) {
        List<Long> seqs = new ArrayList<>(BATCH);
        List<Future<RecordMetadata>> acks = new ArrayList<>(BATCH);
        try (ResultSet rs = claim.executeQuery()) {
          while (rs.next()) {
            seqs.add(rs.getLong(1));
            String key = rs.getString(3);
            acks.add(
                producer.send(
                    new ProducerRecord<>(
                        rs.getString(2),
                        key == null ? null : key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        rs.getBytes(4))));
          }
        }
        if (seqs.isEmpty()) {
          c.commit();
          return published;
        }
        for (Future<RecordMetadata> f : acks) {
          f.get(); // a failure ends the benchmark run
        }
        delete(c, postgres, seqs);
        c.commit();
        published += seqs.size();
      }
    } catch (Exception e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private static void delete(Connection c, boolean postgres, List<Long> seqs) throws SQLException {
    if (postgres) {
      try (PreparedStatement st =
          c.prepareStatement("DELETE FROM waybill_outbox WHERE seq = ANY(?)")) {
        Array a = c.createArrayOf("bigint", seqs.toArray());
        st.setArray(1, a);
        st.executeUpdate();
        a.free();
      }
      return;
    }
    StringBuilder sql = new StringBuilder("DELETE FROM waybill_outbox WHERE seq IN (");
    for (int i = 0; i < seqs.size(); i++) {
      sql.append(i == 0 ? "" : ",").append(seqs.get(i));
    }
    try (PreparedStatement st = c.prepareStatement(sql.append(')').toString())) {
      st.executeUpdate();
    }
  }
}
