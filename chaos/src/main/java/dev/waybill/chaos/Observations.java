package dev.waybill.chaos;

import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.testkit.TopicRecords;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Reads what the {@link Ledger} checks, only from the database and the topics: {@code
 * chaos_written} (what committed), {@code chaos_effect} (what the consumers applied), the relay's
 * dead letters as the rig captured them, the outbox, its dead-letter table, the relays' leases, and
 * every record of {@code chaos} and {@code chaos.DLT}.
 */
final class Observations {
  private final DataSource db;
  private final RigDatabase kind;
  private final Properties kafka;
  private final Set<String> liveRelays;

  Observations(DataSource db, RigDatabase kind, String bootstrap, Set<String> liveRelays) {
    this.db = db;
    this.kind = kind;
    this.kafka = new Properties();
    this.kafka.put("bootstrap.servers", bootstrap);
    this.liveRelays = Set.copyOf(liveRelays);
  }

  /** Reads everything the ledger checks. */
  Ledger.Observed read(List<ChildProcess.Exit> exits) throws SQLException {
    Map<String, Ledger.Written> written = new LinkedHashMap<>();
    List<Ledger.Effect> effects = new ArrayList<>();
    Map<String, Instant> relayDead = new HashMap<>();
    Set<String> relayDeadParking = new HashSet<>();
    Instant fixedAt = null;
    Instant relayFixedAt = null;
    List<String> outboxLeft = new ArrayList<>();
    List<String> deadLetterLeft = new ArrayList<>();
    List<String> leasesOfDead = new ArrayList<>();
    try (Connection c = db.getConnection();
        Statement st = c.createStatement()) {
      try (ResultSet rs =
          st.executeQuery(
              "SELECT message_id, msg_key, key_seq, kind, available_at, committed_at"
                  + " FROM chaos_written")) {
        while (rs.next()) {
          Ledger.Written w =
              new Ledger.Written(
                  rs.getString(1).toLowerCase(Locale.ROOT),
                  rs.getString(2),
                  rs.getInt(3),
                  Workload.Kind.valueOf(rs.getString(4)),
                  instant(rs.getTimestamp(5)),
                  instant(rs.getTimestamp(6)));
          written.put(w.id(), w);
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT applied_seq, message_id, msg_key, key_seq, applied_at FROM chaos_effect"
                  + " ORDER BY applied_seq")) {
        while (rs.next()) {
          effects.add(
              new Ledger.Effect(
                  rs.getLong(1),
                  rs.getString(2).toLowerCase(Locale.ROOT),
                  rs.getString(3),
                  rs.getInt(4),
                  instant(rs.getTimestamp(5))));
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT message_id, failed_at, parks_key, captured_at FROM chaos_relay_dead")) {
        while (rs.next()) {
          String id = rs.getString(1).toLowerCase(Locale.ROOT);
          relayDead.put(id, instant(rs.getTimestamp(2)));
          if (rs.getBoolean(3)) {
            relayDeadParking.add(id);
          }
          Instant captured = instant(rs.getTimestamp(4));
          if (relayFixedAt == null || captured.isBefore(relayFixedAt)) {
            relayFixedAt = captured;
          }
        }
      }
      try (ResultSet rs = st.executeQuery("SELECT min(fixed_at) FROM chaos_fix")) {
        rs.next();
        fixedAt = instant(rs.getTimestamp(1));
      }
      try (ResultSet rs =
          st.executeQuery("SELECT seq, id, msg_key FROM waybill_outbox ORDER BY seq LIMIT 1000")) {
        while (rs.next()) {
          outboxLeft.add(
              rs.getString(2) + " (seq " + rs.getLong(1) + ", key " + rs.getString(3) + ")");
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT seq, id, msg_key, error_class FROM waybill_outbox_dead_letter ORDER BY seq")) {
        while (rs.next()) {
          deadLetterLeft.add(
              rs.getString(2) + " (key " + rs.getString(3) + ", " + rs.getString(4) + ")");
        }
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT shard, owner, expires_at FROM waybill_relay_lease"
                  + " WHERE owner IS NOT NULL AND expires_at > "
                  + kind.now()
                  + " ORDER BY shard")) {
        while (rs.next()) {
          if (!liveRelays.contains(rs.getString(2))) {
            leasesOfDead.add(
                "shard "
                    + rs.getInt(1)
                    + " held by "
                    + rs.getString(2)
                    + " until "
                    + rs.getTimestamp(3).toInstant());
          }
        }
      }
    }
    List<Ledger.Delivered> delivered = read(Workload.TOPIC);
    List<Ledger.Delivered> deadLettered = read(Workload.DEAD_LETTER_TOPIC);
    return new Ledger.Observed(
        written,
        effects,
        delivered,
        deadLettered,
        relayDead,
        relayDeadParking,
        fixedAt,
        relayFixedAt,
        outboxLeft,
        deadLetterLeft,
        leasesOfDead,
        exits);
  }

  private List<Ledger.Delivered> read(String topic) {
    List<Ledger.Delivered> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r :
        TopicRecords.readAll(kafka, topic, Duration.ofSeconds(120))) {
      String id = TopicRecords.header(r, CloudEventHeaders.ID);
      out.add(
          new Ledger.Delivered(
              r.partition(),
              r.offset(),
              Instant.ofEpochMilli(r.timestamp()),
              r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8),
              id == null ? null : id.toLowerCase(Locale.ROOT)));
    }
    return out;
  }

  private static Instant instant(Timestamp t) {
    return t == null ? null : t.toInstant();
  }
}
