package dev.waybill.examples.jdbi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import dev.waybill.testkit.TopicRecords;
import io.micrometer.core.instrument.Counter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Runs the whole Jdbi example against a real PostgreSQL database and a real Kafka broker: orders
 * are written with their events in one Jdbi transaction, the embedded relay publishes them, and the
 * billing consumer applies each event once through a Jdbi handle.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrdersAppIT {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final long CREDIT_LIMIT = 100_000;

  private TestDatabase db;
  private String topic;
  private OrdersApp app;

  @BeforeAll
  void startTheApp() {
    db = TestDatabases.postgres();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    topic = "orders-" + suffix;
    TestKafka.get().createTopic(topic, 3);
    app =
        OrdersApp.start(
            new OrdersApp.Settings(
                db.jdbcUrl(),
                db.user(),
                db.password(),
                TestKafka.get().bootstrapServers(),
                topic,
                "billing-" + suffix,
                CREDIT_LIMIT));
  }

  @AfterAll
  void stopTheApp() {
    if (app != null) {
      app.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void placedOrdersArePublishedAsCloudEventsAndBilledOnce() {
    String alice = customer("alice");
    String bob = customer("bob");
    String first = app.orders().placeOrder(alice, 1_500);
    app.orders().placeOrder(alice, 2_500);
    app.orders().placeOrder(bob, 700);

    await().atMost(WAIT).until(() -> balance(alice).equals(Optional.of(new Balance(2, 4_000))));
    await().atMost(WAIT).until(() -> balance(bob).equals(Optional.of(new Balance(1, 700))));
    await().atMost(WAIT).until(() -> outboxRows() == 0); // deleted once Kafka acknowledged

    ConsumerRecord<byte[], byte[]> published = publishedOrder(first);
    assertThat(TopicRecords.header(published, "ce_type")).isEqualTo("OrderPlaced");
    assertThat(TopicRecords.header(published, "ce_source")).isEqualTo("urn:example:orders");
    assertThat(TopicRecords.header(published, "content-type")).isEqualTo("application/json");
    assertThat(OrderPlaced.fromJson(published.value()))
        .isEqualTo(new OrderPlaced(first, alice, 1_500));
    assertThat(inboxHas(TopicRecords.header(published, "ce_id")))
        .as("the billing group recorded the message id in its inbox")
        .isTrue();
  }

  @Test
  void aRedeliveredEventIsAcknowledgedButNotBilledAgain() throws Exception {
    String carol = customer("carol");
    String order = app.orders().placeOrder(carol, 1_000);
    await().atMost(WAIT).until(() -> balance(carol).equals(Optional.of(new Balance(1, 1_000))));
    double duplicatesBefore = duplicates();

    // what a relay that crashed between Kafka's acknowledgement and its DELETE does: publish the
    // same message (same ce_id) again
    ConsumerRecord<byte[], byte[]> published = publishedOrder(order);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(TestKafka.get().producerProperties())) {
      producer
          .send(
              new ProducerRecord<>(
                  topic, null, published.key(), published.value(), published.headers()))
          .get();
    }

    await().atMost(WAIT).until(() -> duplicates() == duplicatesBefore + 1);
    assertThat(balance(carol)).contains(new Balance(1, 1_000));
  }

  @Test
  void anOrderOverTheCreditLimitRollsBackAndPublishesNothing() {
    String dave = customer("dave");
    app.orders().placeOrder(dave, 60_000);

    assertThatThrownBy(() -> app.orders().placeOrder(dave, 50_000))
        .isInstanceOf(CreditLimitExceededException.class)
        .hasMessageContaining("over the credit limit");

    String accepted = app.orders().placeOrder(dave, 10_000);
    await().atMost(WAIT).until(() -> balance(dave).equals(Optional.of(new Balance(2, 70_000))));
    // everything committed is now acknowledged by Kafka, so the topic holds all there is to see
    await().atMost(WAIT).until(() -> outboxRows() == 0);
    assertThat(ordersOf(dave)).isEqualTo(2);
    List<OrderPlaced> published =
        TestKafka.get().readAll(topic).stream()
            .map(r -> OrderPlaced.fromJson(r.value()))
            .filter(e -> e.customer().equals(dave))
            .toList();
    assertThat(published)
        .extracting(OrderPlaced::amountCents)
        .containsExactlyInAnyOrder(60_000L, 10_000L);
    assertThat(published).extracting(OrderPlaced::orderId).contains(accepted);
  }

  @Test
  void theOutboxRefusesAHandleOutsideATransaction() {
    OutboxMessage message =
        OutboxMessage.builder()
            .topic(topic)
            .key("k")
            .eventType(OrderPlaced.TYPE)
            .jsonPayload("{}")
            .build();
    app.jdbi()
        .useHandle(
            handle ->
                assertThatThrownBy(() -> Outbox.builder().build().write(handle, message))
                    .isInstanceOf(NotInTransactionException.class));
  }

  // --- helpers: queries through Jdbi against the example's tables ---

  record Balance(int orders, long cents) {}

  private static String customer(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 6);
  }

  private ConsumerRecord<byte[], byte[]> publishedOrder(String orderId) {
    return TestKafka.get().readAll(topic).stream()
        .filter(r -> orderId.equals(new String(r.key(), StandardCharsets.UTF_8)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("order " + orderId + " was not published"));
  }

  private double duplicates() {
    Counter counter = app.billing().meterRegistry().find("waybill.inbox.duplicates").counter();
    return counter == null ? 0 : counter.count();
  }

  private Optional<Balance> balance(String customer) {
    return app.jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "SELECT orders, balance_cents FROM customer_balance WHERE customer = ?")
                    .bind(0, customer)
                    .map((rs, ctx) -> new Balance(rs.getInt(1), rs.getLong(2)))
                    .findOne());
  }

  private long ordersOf(String customer) {
    return count("SELECT COUNT(*) FROM orders WHERE customer = ?", customer);
  }

  private long outboxRows() {
    return count("SELECT COUNT(*) FROM waybill_outbox");
  }

  private boolean inboxHas(String messageId) {
    return count("SELECT COUNT(*) FROM waybill_inbox WHERE message_id = ?", messageId) == 1;
  }

  private long count(String sql, Object... args) {
    return app.jdbi()
        .withHandle(
            h -> {
              var query = h.createQuery(sql);
              for (int i = 0; i < args.length; i++) {
                query.bind(i, args[i]);
              }
              return query.mapTo(Long.class).one();
            });
  }
}
