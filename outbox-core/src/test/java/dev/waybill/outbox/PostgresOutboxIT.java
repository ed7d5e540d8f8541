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
}
