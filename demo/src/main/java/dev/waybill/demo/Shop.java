package dev.waybill.demo;

import dev.waybill.outbox.MessageId;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;

/**
 * The example application: a shop that places, pays and ships orders. Each step is one JDBC
 * transaction that changes the order row in {@code demo_orders} and writes the matching event into
 * the outbox through {@link Outbox}, so the event exists if and only if the change commits. Some
 * transactions are rolled back on purpose, after their event was written:
 *
 * <ul>
 *   <li>the placement of every order number ≡ 3 (mod 20) ("card declined"): the order never exists;
 *   <li>the shipment of every order number ≡ 11 (mod 25) ("courier refused the parcel"): the order
 *       stays paid.
 * </ul>
 *
 * <p>Order {@value #POISON_ORDER} ships to {@value #POISON_DESTINATION}, which the consumer cannot
 * handle until it is fixed. Orders are written by several threads; the steps of one order run in
 * order on one thread.
 */
final class Shop {
  static final String TOPIC = "orders";
  static final String PLACED = "OrderPlaced";
  static final String PAID = "OrderPaid";
  static final String SHIPPED = "OrderShipped";
  static final int POISON_ORDER = 7;
  static final String POISON_DESTINATION = "Atlantis";

  private static final String[] DESTINATIONS = {"Lisbon", "Oslo", "Lyon", "Tallinn", "Ghent"};

  /**
   * What the shop did.
   *
   * @param written per order key, the event types of its committed transactions in write order
   * @param committedIds the ids of the committed events
   * @param rolledBackIds the ids of the events written in transactions that were rolled back
   * @param rolledBackKeys the keys of orders whose placement was rolled back (never exist)
   * @param poisonId the id of the event the consumer cannot handle
   * @param startNanos when the first transaction began ({@link System#nanoTime()})
   */
  record Result(
      Map<String, List<String>> written,
      Set<String> committedIds,
      Set<String> rolledBackIds,
      Set<String> rolledBackKeys,
      String poisonId,
      long startNanos) {}

  private final DataSource dataSource;
  private final Outbox outbox;

  Shop(DataSource dataSource, Outbox outbox) {
    this.dataSource = dataSource;
    this.outbox = outbox;
  }

  static String key(int order) {
    return String.format(Locale.ROOT, "order-%05d", order);
  }

  static boolean placementRolledBack(int order) {
    return order % 20 == 3;
  }

  static boolean shipmentRolledBack(int order) {
    return order % 25 == 11 && !placementRolledBack(order);
  }

  static String destination(int order) {
    return order == POISON_ORDER ? POISON_DESTINATION : DESTINATIONS[order % DESTINATIONS.length];
  }

  static void createTable(DataSource dataSource) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.createStatement()
          .execute(
              "CREATE TABLE demo_orders (id VARCHAR(32) PRIMARY KEY, customer VARCHAR(64) NOT NULL,"
                  + " amount NUMERIC(10,2) NOT NULL, destination VARCHAR(64) NOT NULL,"
                  + " status VARCHAR(16) NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now())");
    }
  }

  /**
   * Writes orders 1 to {@code orders} on {@code writers} threads; stops early, between orders, when
   * {@code cancelled} says so.
   */
  Result run(int orders, int writers, BooleanSupplier cancelled) throws InterruptedException {
    Map<String, List<String>> written = new ConcurrentHashMap<>();
    Set<String> committed = ConcurrentHashMap.newKeySet();
    Set<String> rolledBack = ConcurrentHashMap.newKeySet();
    Set<String> rolledBackKeys = ConcurrentHashMap.newKeySet();
    String[] poison = new String[1];
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(writers, r -> new Thread(r, "shop"));
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int first = w + 1;
        work.add(
            pool.submit(
                () -> {
                  for (int order = first;
                      order <= orders && !cancelled.getAsBoolean();
                      order += writers) {
                    String key = key(order);
                    List<String> types = new ArrayList<>();
                    if (!step(order, PLACED, placementRolledBack(order), committed, rolledBack)
                        .committed) {
                      rolledBackKeys.add(key);
                      continue;
                    }
                    types.add(PLACED);
                    step(order, PAID, false, committed, rolledBack);
                    types.add(PAID);
                    Step shipped =
                        step(order, SHIPPED, shipmentRolledBack(order), committed, rolledBack);
                    if (shipped.committed) {
                      types.add(SHIPPED);
                      if (order == POISON_ORDER) {
                        poison[0] = shipped.id;
                      }
                    }
                    written.put(key, List.copyOf(types));
                  }
                  return null;
                }));
      }
      for (Future<?> f : work) {
        f.get();
      }
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r
          ? r
          : new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
    return new Result(
        Map.copyOf(written),
        Set.copyOf(committed),
        Set.copyOf(rolledBack),
        Set.copyOf(rolledBackKeys),
        poison[0],
        start);
  }

  private record Step(String id, boolean committed) {}

  /** One business transaction with its event; rolled back at the end when {@code rollBack}. */
  private Step step(
      int order, String type, boolean rollBack, Set<String> committed, Set<String> rolledBack) {
    String key = key(order);
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(false);
      try {
        change(c, order, type);
        MessageId id =
            outbox.write(
                c,
                OutboxMessage.builder()
                    .topic(TOPIC)
                    .key(key)
                    .eventType(type)
                    .jsonPayload(
                        String.format(
                            Locale.ROOT,
                            "{\"orderId\":\"%s\",\"customer\":\"customer-%d\",\"amount\":%d.50,"
                                + "\"destination\":\"%s\"}",
                            key,
                            order % 97,
                            10 + order * 37 % 500,
                            destination(order)))
                    .header("app", "waybill-demo-shop")
                    .build());
        if (rollBack) {
          c.rollback(); // "card declined" / "courier refused the parcel", after the event was
          // written
          rolledBack.add(id.toString());
          return new Step(id.toString(), false);
        }
        c.commit();
        committed.add(id.toString());
        return new Step(id.toString(), true);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "shop: the " + type + " transaction of " + key + " failed: " + e.getMessage(), e);
    }
  }

  private static void change(Connection c, int order, String type) throws SQLException {
    String sql =
        switch (type) {
          case PLACED ->
              "INSERT INTO demo_orders (id, customer, amount, destination, status)"
                  + " VALUES (?, ?, ?, ?, 'PLACED')";
          case PAID -> "UPDATE demo_orders SET status = 'PAID', updated_at = now() WHERE id = ?";
          default -> "UPDATE demo_orders SET status = 'SHIPPED', updated_at = now() WHERE id = ?";
        };
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.setString(1, key(order));
      if (type.equals(PLACED)) {
        st.setString(2, "customer-" + order % 97);
        st.setBigDecimal(3, new java.math.BigDecimal(10 + order * 37 % 500 + ".50"));
        st.setString(4, destination(order));
      }
      if (st.executeUpdate() != 1) {
        throw new IllegalStateException("shop: " + type + " changed no row of " + key(order));
      }
    }
  }
}
