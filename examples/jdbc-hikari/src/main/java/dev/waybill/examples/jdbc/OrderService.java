package dev.waybill.examples.jdbc;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * The orders service: places an order by inserting its row and its {@link OrderPlaced} event in one
 * JDBC transaction. The event exists in the outbox if and only if the order commits; the relay
 * publishes it afterwards.
 *
 * <p>Thread-safe.
 */
public final class OrderService {

  private static final String INSERT_ORDER =
      """
      INSERT INTO orders (id, customer, amount_cents) VALUES (?, ?, ?)
      """;

  private static final String OPEN_AMOUNT =
      """
      SELECT COALESCE(SUM(amount_cents), 0) FROM orders WHERE customer = ?
      """;

  private final DataSource dataSource;
  private final Outbox outbox;
  private final String topic;
  private final long creditLimitCents;

  /**
   * @param dataSource the application's pool
   * @param outbox the outbox writer (one per application)
   * @param topic the Kafka topic the events go to
   * @param creditLimitCents the most a customer's orders may add up to
   */
  public OrderService(DataSource dataSource, Outbox outbox, String topic, long creditLimitCents) {
    this.dataSource = dataSource;
    this.outbox = outbox;
    this.topic = topic;
    this.creditLimitCents = creditLimitCents;
  }

  /**
   * Places an order: the order row and its event commit together, or neither does.
   *
   * @return the new order's id
   * @throws CreditLimitExceededException when the order would take the customer over the credit
   *     limit; the transaction is rolled back, so neither the order nor its event exists
   * @throws IllegalStateException when the database fails
   */
  public String placeOrder(String customer, long amountCents) {
    String orderId = UUID.randomUUID().toString();
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        insertOrder(c, orderId, customer, amountCents);
        outbox.write(
            c,
            OutboxMessage.builder()
                .topic(topic)
                .key(orderId) // the same key keeps the events of one order in order
                .eventType(OrderPlaced.TYPE)
                .payload(new OrderPlaced(orderId, customer, amountCents), OrderPlaced.JSON)
                .build());
        // A business rule checked after the writes, as real ones often are: when it fails, the
        // rollback takes the event with it and nothing is ever published.
        long open = openAmount(c, customer);
        if (open > creditLimitCents) {
          throw new CreditLimitExceededException(customer, open, creditLimitCents);
        }
        c.commit();
        return orderId;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
      // closing gives the connection back to HikariCP, which restores auto-commit
    } catch (SQLException e) {
      throw new IllegalStateException("could not place the order of " + customer, e);
    }
  }

  private static void insertOrder(Connection c, String id, String customer, long amountCents)
      throws SQLException {
    try (PreparedStatement st = c.prepareStatement(INSERT_ORDER)) {
      st.setString(1, id);
      st.setString(2, customer);
      st.setLong(3, amountCents);
      st.executeUpdate();
    }
  }

  private static long openAmount(Connection c, String customer) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(OPEN_AMOUNT)) {
      st.setString(1, customer);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
