package dev.waybill.outbox.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.WaybillException;
import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.dialect.UnsupportedDatabaseException;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Splitting the outbox table into partitions on a real PostgreSQL. */
class PostgresOutboxPartitioningIT {
  TestDatabase db;
  final Outbox outbox = Outbox.builder().build();

  @BeforeEach
  void setUp() {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
  }

  @AfterEach
  void tearDown() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void everyRowKeepsItsPlaceAndContentsAndNewRowsGoOnAfterThem() throws Exception {
    writeMessages(0, 300);
    insertKeyless(20);
    long top = maxSeq();
    // as a relay would have published them; the sequence now stands above the highest row left
    exec("DELETE FROM waybill_outbox WHERE seq % 7 = 0 OR seq = " + top);
    Map<Long, String> before = rows();
    long lastSeq = maxSeq();
    assertThat(lastSeq).isLessThan(top);

    OutboxPartitioning.Result r = OutboxPartitioning.partition(db.dataSource(), tables(), 8);

    assertThat(r.partitionsBefore()).isZero();
    assertThat(r.partitions()).isEqualTo(8);
    assertThat(r.rowsMoved()).isEqualTo(before.size());
    assertThat(rows()).as("seq → id, key, topic, payload of every row").isEqualTo(before);
    assertThat(partitionsNow()).isEqualTo(8);
    assertThat(
            scalar("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'waybill_outbox'::regclass"))
        .isEqualTo(8);
    assertThat(
            scalar(
                "SELECT COUNT(*) FROM waybill_outbox"
                    + " WHERE tableoid::regclass::text <> 'waybill_outbox_p'"
                    + " || (COALESCE(shard, seq) % 8)"))
        .as("rows outside the partition of their routing value")
        .isZero();
    assertThat(scalar("SELECT COUNT(DISTINCT tableoid) FROM waybill_outbox WHERE msg_key IS NULL"))
        .as("rows without a key are spread by seq")
        .isGreaterThan(1);

    writeMessages(1000, 5);
    insertKeyless(1);
    assertThat(scalar("SELECT MIN(seq) FROM waybill_outbox WHERE seq > " + lastSeq))
        .as("the identity goes on where it stood, not after the highest row left")
        .isEqualTo(top + 1);
    assertThat(scalar("SELECT COUNT(*) FROM waybill_outbox WHERE seq > " + lastSeq)).isEqualTo(6);
    assertThat(
            scalar(
                "SELECT COUNT(*) FROM waybill_outbox WHERE seq > "
                    + lastSeq
                    + " AND shard IS NOT NULL AND msg_key IS NOT NULL"))
        .as("the database still fills the shard of a new keyed row")
        .isEqualTo(5);
  }

  @Test
  void partitioningAgainWithTheSameCountChangesNothingAndAnotherCountMovesTheRows()
      throws Exception {
    writeMessages(0, 100);
    OutboxPartitioning.partition(db.dataSource(), tables(), 4);
    Map<Long, String> before = rows();

    OutboxPartitioning.Result same = OutboxPartitioning.partition(db.dataSource(), tables(), 4);
    assertThat(same.unchanged()).isTrue();
    assertThat(same.rowsMoved()).isZero();

    OutboxPartitioning.Result other = OutboxPartitioning.partition(db.dataSource(), tables(), 16);
    assertThat(other.partitionsBefore()).isEqualTo(4);
    assertThat(other.rowsMoved()).isEqualTo(100);
    assertThat(partitionsNow()).isEqualTo(16);
    assertThat(rows()).isEqualTo(before);
  }

  @Test
  void aPartitionCountThatCannotDivideTheShardsIsRefusedAndNothingChanges() throws Exception {
    writeMessages(0, 10);
    for (int bad : new int[] {0, 1, 3, 12, 128}) {
      assertThatThrownBy(() -> OutboxPartitioning.partition(db.dataSource(), tables(), bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("outbox partitions = " + bad)
          .hasMessageContaining("power of two from 2 to 64");
    }
    assertThat(partitionsNow()).isZero();
  }

  @Test
  void aTableThatCannotBeReplacedStaysAsItWas() throws Exception {
    writeMessages(0, 10);
    exec("CREATE VIEW outbox_view AS SELECT seq FROM waybill_outbox");
    assertThatThrownBy(() -> OutboxPartitioning.partition(db.dataSource(), tables(), 4))
        .isInstanceOf(WaybillException.class)
        .hasMessageContaining("nothing was changed")
        .hasMessageContaining("outbox_view");
    assertThat(partitionsNow()).isZero();
    assertThat(scalar("SELECT COUNT(*) FROM waybill_outbox")).isEqualTo(10);
  }

  @Test
  void aTablePartitionedSomeOtherWayIsNamedNotGuessed() throws Exception {
    exec("DROP TABLE waybill_outbox");
    exec(
        "CREATE TABLE waybill_outbox (seq BIGINT GENERATED ALWAYS AS IDENTITY, topic"
            + " VARCHAR(249) NOT NULL, msg_key VARCHAR(1024)) PARTITION BY HASH (seq)");
    assertThatThrownBy(this::partitionsNow)
        .isInstanceOf(WaybillException.class)
        .hasMessageContaining("partitioned by HASH (seq)")
        .hasMessageContaining("migrate --partitions N");
  }

  @Test
  void otherDatabasesKeepThePlainTable() throws Exception {
    try (TestDatabase h2 = TestDatabases.h2()) {
      SchemaMigrator.builder().dataSource(h2.dataSource()).build().migrate();
      assertThatThrownBy(() -> OutboxPartitioning.partition(h2.dataSource(), tables(), 4))
          .isInstanceOf(UnsupportedDatabaseException.class)
          .hasMessageContaining("PostgreSQL feature");
      try (Connection c = h2.connect()) {
        assertThat(OutboxPartitioning.partitions(c, Dialect.h2(), tables().outboxTable())).isZero();
      }
    }
  }

  private static TableNames tables() {
    return TableNames.defaults();
  }

  private int partitionsNow() throws SQLException {
    try (Connection c = db.connect()) {
      return OutboxPartitioning.partitions(c, Dialect.postgres(), tables().outboxTable());
    }
  }

  private void writeMessages(int from, int count) throws SQLException {
    List<OutboxMessage> messages = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      messages.add(
          OutboxMessage.builder()
              .topic("orders")
              .key("order-" + (i % 37))
              .eventType("OrderPlaced")
              .payload(dev.waybill.outbox.Payload.json("{\"n\":" + i + "}"))
              .build());
    }
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      outbox.writeAll(c, messages);
      c.commit();
    }
  }

  private void insertKeyless(int count) throws SQLException {
    for (int i = 0; i < count; i++) {
      exec(
          "INSERT INTO waybill_outbox (topic, event_type, payload)"
              + " VALUES ('audit', 'Seen', convert_to('{}', 'UTF8'))");
    }
  }

  private long maxSeq() throws SQLException {
    return scalar("SELECT MAX(seq) FROM waybill_outbox");
  }

  private Map<Long, String> rows() throws SQLException {
    Map<Long, String> out = new LinkedHashMap<>();
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT seq, id, topic, msg_key, event_type, content_type,"
                    + " encode(payload, 'escape'), created_at, shard FROM waybill_outbox"
                    + " ORDER BY seq")) {
      while (rs.next()) {
        StringBuilder b = new StringBuilder();
        for (int i = 2; i <= 9; i++) {
          b.append(rs.getString(i)).append('|');
        }
        out.put(rs.getLong(1), b.toString());
      }
    }
    return out;
  }

  private long scalar(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void exec(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
