package dev.waybill.examples.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.waybill.inbox.InboxConfig;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.outbox.Outbox;
import dev.waybill.relay.Relay;
import dev.waybill.relay.RelayConfig;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole example application in one process: a HikariCP pool, the {@link OrderService} writing
 * orders and their events through the outbox, an embedded {@link Relay} publishing the events to
 * Kafka, and an {@link InboxConsumer} running the {@link BillingHandler} once per event.
 *
 * <pre>{@code
 * try (OrdersApp app = OrdersApp.start(settings)) {
 *   app.orders().placeOrder("alice", 4_200);
 *   ...
 * }
 * }</pre>
 *
 * <p>In production the three parts often live in different processes: the service and the consumer
 * in their applications, the relay embedded as here or as the {@code outbox-relay.jar} sidecar.
 * They only share the database and Kafka.
 */
public final class OrdersApp implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(OrdersApp.class);

  /**
   * Where the application's database and Kafka are, and its names.
   *
   * @param jdbcUrl the PostgreSQL database, e.g. {@code jdbc:postgresql://db:5432/orders}
   * @param user the database user
   * @param password its password
   * @param kafkaBootstrapServers the Kafka brokers, {@code host:port[,host:port]}
   * @param topic the topic of the order events
   * @param billingGroup the consumer group of the billing consumer
   * @param creditLimitCents the most a customer's orders may add up to
   */
  public record Settings(
      String jdbcUrl,
      String user,
      String password,
      String kafkaBootstrapServers,
      String topic,
      String billingGroup,
      long creditLimitCents) {

    /** Checks that nothing is missing. */
    public Settings {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
      Objects.requireNonNull(kafkaBootstrapServers, "kafkaBootstrapServers");
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(billingGroup, "billingGroup");
    }
  }

  private final HikariDataSource pool;
  private final OrderService orders;
  private final Relay relay;
  private final InboxConsumer billing;

  private OrdersApp(
      HikariDataSource pool, OrderService orders, Relay relay, InboxConsumer billing) {
    this.pool = pool;
    this.orders = orders;
    this.relay = relay;
    this.billing = billing;
  }

  /**
   * Creates the pool, migrates the schema and starts the relay and the billing consumer.
   *
   * @throws dev.waybill.outbox.WaybillException when the database or the schema is unusable
   */
  public static OrdersApp start(Settings settings) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("orders");
    hikari.setJdbcUrl(settings.jdbcUrl());
    hikari.setUsername(settings.user());
    hikari.setPassword(settings.password());
    // the relay holds up to 3 connections (loop, LISTEN, gauges), the consumer 1 per worker and
    // 1 for housekeeping; the rest is the application's
    hikari.setMaximumPoolSize(10);
    HikariDataSource pool = new HikariDataSource(hikari);
    Relay relay = null;
    try {
      OrdersSchema.migrate(pool);

      Outbox outbox = Outbox.builder().build(); // one per application, thread-safe
      OrderService orders =
          new OrderService(pool, outbox, settings.topic(), settings.creditLimitCents());

      relay =
          Relay.builder()
              .config(
                  RelayConfig.builder()
                      // instance id: the default, host-pid, is unique per running relay
                      .source("urn:example:orders")
                      .bootstrapServers(settings.kafkaBootstrapServers())
                      .build())
              .dataSource(pool)
              .build();
      relay.start();

      InboxConsumer billing =
          InboxConsumer.builder()
              .config(
                  InboxConfig.builder()
                      .groupId(settings.billingGroup())
                      .topics(settings.topic())
                      .build())
              .dataSource(pool)
              // a new group starts at the beginning of the topic, so events published before its
              // first assignment are billed too (Kafka's default, latest, would skip them)
              .kafka(
                  Map.of(
                      "bootstrap.servers",
                      settings.kafkaBootstrapServers(),
                      "auto.offset.reset",
                      "earliest"))
              .handler(OrderPlaced.TYPE, new BillingHandler())
              .build();
      billing.start();
      LOG.info("orders app started: relay {}, consumer {}", relay.instanceId(), billing.name());
      return new OrdersApp(pool, orders, relay, billing);
    } catch (RuntimeException e) {
      if (relay != null) {
        relay.close();
      }
      pool.close();
      throw e;
    }
  }

  /** The orders service. */
  public OrderService orders() {
    return orders;
  }

  /** The embedded relay. */
  public Relay relay() {
    return relay;
  }

  /** The billing consumer. */
  public InboxConsumer billing() {
    return billing;
  }

  /**
   * Stops the consumer (running handlers finish, offsets are committed), then the relay (the batch
   * in flight is settled, leases are given back), then closes the pool.
   */
  @Override
  public void close() {
    try {
      billing.close();
      relay.close();
    } finally {
      pool.close();
    }
  }
}
