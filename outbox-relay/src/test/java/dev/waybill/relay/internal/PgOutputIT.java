package dev.waybill.relay.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.dialect.LogicalDecodingSql;
import dev.waybill.outbox.schema.TableNames;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PgOutput} on what PostgreSQL really sends: changes of a table with the column types of
 * Waybill's tables are decoded from {@code pg_logical_slot_peek_binary_changes} in binary and in
 * text mode, and must read the same values. And the relay's replication session gets its {@code
 * logical_decoding_work_mem}.
 */
class PgOutputIT {
  static final UUID ID = UUID.fromString("5b0c1e2a-77f3-4c1d-9a0e-0123456789ab");
  static final Instant AT = Instant.parse("2026-05-01T10:00:00.123456Z");

  TestDatabase db;
  String slot;
  String publication;

  @BeforeEach
  void setUp() throws SQLException {
    db = TestDatabases.postgres();
    String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    slot = "wb_pgo_" + suffix;
    publication = "wb_pgo_" + suffix;
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE pgo_rows (seq BIGINT PRIMARY KEY, id UUID, topic VARCHAR(249), msg_key"
              + " VARCHAR(1024), payload BYTEA, headers TEXT, created_at TIMESTAMPTZ,"
              + " available_at TIMESTAMPTZ, parks_key BOOLEAN, attempts INTEGER, shard SMALLINT,"
              + " doc JSONB)");
      st.execute("CREATE PUBLICATION " + publication + " FOR TABLE pgo_rows");
      st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
    }
  }

  @AfterEach
  void tearDown() throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
      st.execute("DROP PUBLICATION " + publication);
      st.execute("DROP TABLE pgo_rows");
    } finally {
      db.close();
    }
  }

  @ParameterizedTest(name = "binary {0}")
  @ValueSource(booleans = {true, false})
  void decodesEveryColumnTypeOfWaybillsTablesAsTheServerSendsThem(boolean binary) throws Exception {
    byte[] payload = new byte[256];
    for (int i = 0; i < payload.length; i++) {
      payload[i] = (byte) i;
    }
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement st =
          c.prepareStatement(
              "INSERT INTO pgo_rows VALUES (?, ?, 'orders', ?, ?, NULL, ?, NULL, true, -7, 1023,"
                  + " '{\"a\": \"b\"}')")) {
        st.setLong(1, 4_000_000_000L);
        st.setObject(2, ID);
        st.setString(3, "clé-1 ✓");
        st.setBytes(4, payload);
        st.setObject(5, java.time.OffsetDateTime.parse("2026-05-01T12:00:00.123456+02:00"));
        st.executeUpdate();
      }
      try (Statement st = c.createStatement()) {
        st.execute("SELECT pg_logical_emit_message(true, 'wb_test', 'hello')");
        st.execute("DELETE FROM pgo_rows");
      }
      c.commit();
    }
    List<PgOutput.Event> events = decodeAll(binary);
    PgOutput.Insert ins =
        events.stream()
            .filter(PgOutput.Insert.class::isInstance)
            .map(PgOutput.Insert.class::cast)
            .findFirst()
            .orElseThrow();
    PgOutput.Tuple v = ins.values();
    assertThat(ins.relation().name()).isEqualTo("pgo_rows");
    assertThat(v.int8("seq")).isEqualTo(4_000_000_000L);
    assertThat(v.uuid("id")).isEqualTo(ID);
    assertThat(v.text("topic")).isEqualTo("orders");
    assertThat(v.text("msg_key")).isEqualTo("clé-1 ✓");
    assertThat(v.bytes("payload")).isEqualTo(payload);
    assertThat(v.text("headers")).isNull();
    assertThat(v.isNull("headers")).isTrue();
    assertThat(v.timestamp("created_at")).isEqualTo(AT);
    assertThat(v.timestamp("available_at")).isNull();
    assertThat(v.bool("parks_key")).isTrue();
    assertThat(v.int8("attempts")).isEqualTo(-7L);
    assertThat(v.int8("shard")).isEqualTo(1023L);
    assertThat(v.text("doc")).isEqualTo("{\"a\": \"b\"}");
    assertThat(v.text("no_such_column")).isNull();
    PgOutput.Message m =
        events.stream()
            .filter(PgOutput.Message.class::isInstance)
            .map(PgOutput.Message.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(m.transactional()).isTrue();
    assertThat(m.prefix()).isEqualTo("wb_test");
    assertThat(new String(m.content(), StandardCharsets.UTF_8)).isEqualTo("hello");
    PgOutput.Delete del =
        events.stream()
            .filter(PgOutput.Delete.class::isInstance)
            .map(PgOutput.Delete.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(del.oldValues().int8("seq")).as("the old key").isEqualTo(4_000_000_000L);
    assertThat(del.oldValues().isNull("topic")).isTrue();
    assertThat(events.get(0)).isInstanceOf(PgOutput.Begin.class);
    assertThat(events.get(events.size() - 1)).isInstanceOf(PgOutput.Commit.class);
  }

  @Test
  void theRelaysReplicationSessionDecodesWithItsOwnWorkMemory() throws SQLException {
    LogicalSlot big = slot("300MB");
    try (Connection rc = big.openReplicationConnection();
        Statement st = rc.createStatement();
        ResultSet rs = st.executeQuery("SHOW logical_decoding_work_mem")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("300MB");
    }
    // options= in the user's URL are kept, and the relay's setting still applies
    String url =
        db.jdbcUrl()
            + (db.jdbcUrl().contains("?") ? "&" : "?")
            + "options=-c%20statement_timeout%3D12345";
    try (Connection rc = slot("300MB", url).openReplicationConnection();
        Statement st = rc.createStatement()) {
      try (ResultSet rs = st.executeQuery("SHOW statement_timeout")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("12345ms");
      }
      try (ResultSet rs = st.executeQuery("SHOW logical_decoding_work_mem")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("300MB");
      }
    }
    String server;
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW logical_decoding_work_mem")) {
      rs.next();
      server = rs.getString(1);
    }
    try (Connection rc = slot("server").openReplicationConnection();
        Statement st = rc.createStatement();
        ResultSet rs = st.executeQuery("SHOW logical_decoding_work_mem")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(server);
    }
  }

  LogicalSlot slot(String memory) {
    return slot(memory, db.jdbcUrl());
  }

  LogicalSlot slot(String memory, String url) {
    return new LogicalSlot(
        db.dataSource(),
        LogicalDecodingSql.of(Dialect.postgres()).orElseThrow(),
        slot,
        publication,
        TableNames.defaults(),
        "pgo",
        url,
        db.user(),
        db.password(),
        memory);
  }

  List<PgOutput.Event> decodeAll(boolean binary) throws SQLException {
    PgOutput decoder = new PgOutput();
    List<PgOutput.Event> out = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT data FROM pg_logical_slot_peek_binary_changes(?, NULL, NULL,"
                    + " 'proto_version', '1', 'publication_names', ?, 'messages', 'true',"
                    + " 'binary', ?)")) {
      st.setString(1, slot);
      st.setString(2, publication);
      st.setString(3, Boolean.toString(binary));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          PgOutput.Event e = decoder.decode(ByteBuffer.wrap(rs.getBytes(1)));
          if (!(e instanceof PgOutput.Other)) {
            out.add(e);
          }
        }
      }
    }
    return out;
  }
}
