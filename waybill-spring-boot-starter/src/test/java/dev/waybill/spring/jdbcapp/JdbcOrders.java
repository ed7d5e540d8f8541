package dev.waybill.spring.jdbcapp;

import dev.waybill.spring.OrderEvents;
import dev.waybill.spring.TransactionalOutbox;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Places orders: one row and one outbox message per order, in one Spring transaction. */
@Service
public class JdbcOrders {
  private final JdbcTemplate jdbc;
  private final TransactionalOutbox outbox;

  public JdbcOrders(JdbcTemplate jdbc, TransactionalOutbox outbox) {
    this.jdbc = jdbc;
    this.outbox = outbox;
  }

  /** Writes the order and its event; {@code decline} throws after both, so both roll back. */
  @Transactional
  public void place(String topic, String orderId, boolean decline) {
    jdbc.update("INSERT INTO shop_orders (id) VALUES (?)", orderId);
    outbox.write(OrderEvents.placed(topic, orderId));
    if (decline) {
      throw new IllegalStateException("order " + orderId + " declined");
    }
  }
}
