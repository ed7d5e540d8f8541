package dev.waybill.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The outbox contract on PostgreSQL, plus NOTIFY, which only PostgreSQL has. */
class PostgresOutboxIT extends OutboxContract {
  @Override
  TestDatabase newDatabase() {
    return TestDatabases.postgres();
  }

  @Override
  Dialect dialect() {
    return Dialect.postgres();
  }

  @Test
  void notifiesListenersAtCommitAndNeverForARollback() throws Exception {
    try (Connection listener = db.connect()) {
      listen(listener, "waybill_outbox");
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        outbox.write(c, message("n-1"));
        assertThat(poll(listener, 300)).as("nothing before commit").isEmpty();
        c.commit();
        assertThat(poll(listener, 5_000))
            .extracting(PGNotification::getName)
            .contains("waybill_outbox");
        outbox.write(c, message("n-2"));
        c.rollback();
        assertThat(poll(listener, 500)).as("nothing for a rollback").isEmpty();
      }
    }
  }

  @Test
  void notifiesTheConfiguredChannelOrNoneWhenDisabled() throws Exception {
    Outbox custom =
        Outbox.builder()
            .config(OutboxConfig.builder().notifyChannel("orders_wakeup").build())
            .build();
    Outbox silent =
        Outbox.builder().config(OutboxConfig.builder().notifyEnabled(false).build()).build();
    try (Connection listener = db.connect()) {
      listen(listener, "orders_wakeup");
      listen(listener, "waybill_outbox");
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        silent.write(c, message("s"));
        c.commit();
        assertThat(poll(listener, 500)).as("NOTIFY disabled").isEmpty();
        custom.write(c, message("c"));
        c.commit();
        assertThat(poll(listener, 5_000))
            .extracting(PGNotification::getName)
            .containsExactly("orders_wakeup");
      }
    }
    assertThat(rows()).hasSize(2);
  }

  private static void listen(Connection c, String channel) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("LISTEN " + channel);
    }
  }

  private static List<PGNotification> poll(Connection c, int millis) throws SQLException {
    List<PGNotification> out = new ArrayList<>();
    PGNotification[] got = c.unwrap(PGConnection.class).getNotifications(millis);
    if (got != null) {
      out.addAll(List.of(got));
    }
    return out;
  }

  @Test
  void messageModeEmitsALogicalDecodingMessageAndWritesNoRow() throws Exception {
    Outbox messages =
        Outbox.builder()
            .config(OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build())
            .build();
    String slot = "wb_core_" + Long.toHexString(System.nanoTime());
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute("CREATE PUBLICATION wb_core_pub");
      st.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
      try {
        c.setAutoCommit(false);
        OutboxMessage m =
            OutboxMessage.builder()
                .topic("orders")
                .key("order-1")
                .eventType("OrderPlaced")
                .jsonPayload("{\"total\":1}")
                .header("tenant", "acme")
                .build();
        messages.write(c, m);
        c.commit();
        c.setAutoCommit(true);
        assertThat(rowCount()).as("message mode writes no row").isZero();
        byte[] content = null;
        try (java.sql.ResultSet rs =
            st.executeQuery(
                "SELECT data FROM pg_logical_slot_peek_binary_changes('"
                    + slot
                    + "', NULL, NULL, 'proto_version', '1', 'publication_names', 'wb_core_pub',"
                    + " 'messages', 'true')")) {
          while (rs.next()) {
            byte[] data = rs.getBytes(1);
            if (data[0] == 'M') {
              content = pgoutputMessageContent(data, "waybill_outbox");
            }
          }
        }
        assertThat(content).as("an M record with the outbox prefix").isNotNull();
        var decoded = dev.waybill.outbox.wire.LogicalMessageFormat.decode(content);
        assertThat(decoded.id()).contains(m.id().value());
        assertThat(decoded.topic()).isEqualTo("orders");
        assertThat(decoded.key()).contains("order-1");
        assertThat(decoded.headers()).containsEntry("tenant", "acme");
        assertThat(new String(decoded.payload(), java.nio.charset.StandardCharsets.UTF_8))
            .isEqualTo("{\"total\":1}");
      } finally {
        c.setAutoCommit(true);
        st.execute("SELECT pg_drop_replication_slot('" + slot + "')");
      }
    }
  }

  /** The content of a pgoutput 'M' record: flags, LSN, prefix (C string), length, content. */
  static byte[] pgoutputMessageContent(byte[] data, String prefix) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
    b.get(); // 'M'
    b.get(); // flags
    b.getLong(); // lsn
    int start = b.position();
    while (b.get() != 0) {
      // prefix
    }
    String p =
        new String(data, start, b.position() - start - 1, java.nio.charset.StandardCharsets.UTF_8);
    byte[] content = new byte[b.getInt()];
    b.get(content);
    return p.equals(prefix) ? content : null;
  }

  @Test
  void insertThenDeleteModeLeavesTheTableEmptyAndRefusesDelays() throws Exception {
    Outbox transientRows =
        Outbox.builder().config(OutboxConfig.builder().deleteAfterInsert(true).build()).build();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      transientRows.writeAll(c, List.of(message("t-1"), message("t-2")));
      assertThat(rowCount()).as("other transactions never see the rows").isZero();
      c.commit();
    }
    assertThat(rowCount()).isZero();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      OutboxMessage delayed =
          OutboxMessage.builder()
              .topic("orders")
              .eventType("Later")
              .jsonPayload("{}")
              .delay(java.time.Duration.ofMinutes(1))
              .build();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> transientRows.write(c, delayed))
          .isInstanceOf(InvalidMessageException.class)
          .hasMessageContaining("delayed messages (notBefore/delay) are not supported with")
          .hasMessageContaining("outbox.write.delete=true");
      c.rollback();
    }
  }

  long rowCount() throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM waybill_outbox")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
