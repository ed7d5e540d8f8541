package dev.waybill.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.waybill.inbox.InboxMessage;
import dev.waybill.inbox.InboxTransaction;
import dev.waybill.testkit.Narrator;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * The consuming application: a fulfilment service that records every order event it applies in
 * {@code demo_order_log}, inside the inbox transaction (so the row commits together with the inbox
 * row, once per message id). {@code applied_seq} numbers the rows in the order they were applied,
 * which is what the per-key order check reads.
 *
 * <p>Shipments need a tariff for their destination. The tariff of {@value Shop#POISON_DESTINATION}
 * is missing until {@link #deployFix()}: until then the shipment of order {@value
 * Shop#POISON_ORDER} fails every attempt, and the consumer dead-letters it.
 */
final class Fulfilment {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, Integer> SEQUENCE =
      Map.of(Shop.PLACED, 1, Shop.PAID, 2, Shop.SHIPPED, 3);

  private final Narrator console;
  private final AtomicInteger failures = new AtomicInteger();
  private volatile boolean fixed;

  Fulfilment(Narrator console) {
    this.console = console;
  }

  static void createTable(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.createStatement()
          .execute(
              "CREATE TABLE demo_order_log (applied_seq BIGSERIAL PRIMARY KEY,"
                  + " order_id VARCHAR(32) NOT NULL, event_type VARCHAR(32) NOT NULL,"
                  + " event_seq INT NOT NULL, message_id VARCHAR(255) NOT NULL,"
                  + " applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())");
    }
  }

  /** The fix: the tariff of {@value Shop#POISON_DESTINATION} is deployed. */
  void deployFix() {
    fixed = true;
  }

  /** Handler runs that failed so far. */
  int failures() {
    return failures.get();
  }

  /** The handler of every order event. */
  void handle(InboxMessage message, InboxTransaction tx) throws SQLException, IOException {
    String type = message.eventType().orElse("?");
    String order = message.key().orElse("?");
    if (type.equals(Shop.SHIPPED)) {
      ship(order, JSON.readTree(message.value()).path("destination").asText());
    }
    try (PreparedStatement st =
        tx.connection()
            .prepareStatement(
                "INSERT INTO demo_order_log (order_id, event_type, event_seq, message_id)"
                    + " VALUES (?, ?, ?, ?)")) {
      st.setString(1, order);
      st.setString(2, type);
      st.setInt(3, SEQUENCE.getOrDefault(type, 0));
      st.setString(4, message.messageId());
      st.executeUpdate();
    }
  }

  private void ship(String order, String destination) {
    if (destination.equals(Shop.POISON_DESTINATION) && !fixed) {
      int n = failures.incrementAndGet();
      console.say(
          "inbox",
          "%s %s failed (handler run %d): no shipping tariff for '%s'",
          order,
          Shop.SHIPPED,
          n,
          destination);
      throw new IllegalStateException("no shipping tariff for '" + destination + "'");
    }
  }
}
