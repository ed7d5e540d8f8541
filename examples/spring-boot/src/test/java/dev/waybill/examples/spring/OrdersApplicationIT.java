package dev.waybill.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.waybill.outbox.NotInTransactionException;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.spring.TransactionalOutbox;
import dev.waybill.spring.inbox.internal.InboxConsumers;
import dev.waybill.spring.internal.RelayLifecycle;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import dev.waybill.testkit.TopicRecords;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.json.JsonMapper;

/**
 * Starts the Spring Boot application, as {@code main} would, against a real PostgreSQL database and
 * a real Kafka broker, and follows orders from the {@code @Transactional} service through the
 * outbox, the starter's embedded relay and Kafka to the billing handler's inbox.
 *
 * <p>The context is started by hand (not with {@code @SpringBootTest}) so that it is closed, and
 * the relay and consumer stopped, before the test database is dropped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OrdersApplicationIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private TestDatabase db;
  private String topic;
  private ConfigurableApplicationContext context;
  private OrderService orders;
  private JdbcTemplate jdbc;

  @BeforeAll
  void startTheApplication() {
    db = TestDatabases.postgres();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    topic = "orders-" + suffix;
    TestKafka.get().createTopic(topic, 3);
    // command-line arguments, as `java -jar` would get them: they override application.properties
    context =
        new SpringApplicationBuilder(OrdersApplication.class)
            .run(
                "--spring.main.banner-mode=off",
                "--spring.main.keep-alive=false",
                "--spring.datasource.url=" + db.jdbcUrl(),
                "--spring.datasource.username=" + db.user(),
                "--spring.datasource.password=" + db.password(),
                "--orders.topic=" + topic,
                "--orders.billing-group=billing-" + suffix,
                "--orders.credit-limit-cents=100000",
                "--spring.kafka.bootstrap-servers=" + TestKafka.get().bootstrapServers());
    orders = context.getBean(OrderService.class);
    jdbc = context.getBean(JdbcTemplate.class);
  }

  @AfterAll
  void stopTheApplication() {
    if (context != null) {
      context.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void anOrderTravelsFromTheTransactionThroughTheRelayAndKafkaToTheInbox() {
    assertThat(context.getBean(RelayLifecycle.class).isRunning()).isTrue();
    assertThat(context.getBean(InboxConsumers.class).isRunning()).isTrue();
    String alice = customer("alice");
    String first = orders.placeOrder(alice, 1_500);
    orders.placeOrder(alice, 2_500);

    await().atMost(WAIT).until(() -> balance(alice).equals(Optional.of(new Balance(2, 4_000))));
    await().atMost(WAIT).until(() -> outboxRows() == 0); // deleted once Kafka acknowledged

    ConsumerRecord<byte[], byte[]> published = publishedOrder(first);
    assertThat(TopicRecords.header(published, "ce_type")).isEqualTo("OrderPlaced");
    assertThat(TopicRecords.header(published, "ce_source")).isEqualTo("urn:example:orders");
    assertThat(fromJson(published.value()))
        .isEqualTo(new OrderPlaced(first, alice, 1_500));
    assertThat(
            jdbc.queryForObject(
                "SELECT COUNT(*) FROM waybill_inbox WHERE message_id = ?",
                Long.class,
                TopicRecords.header(published, "ce_id")))
        .as("the billing group recorded the message id in its inbox")
        .isEqualTo(1);
  }

  @Test
  void aRolledBackTransactionalMethodPublishesNothing() {
    String dave = customer("dave");
    orders.placeOrder(dave, 60_000);

    assertThatThrownBy(() -> orders.placeOrder(dave, 50_000))
        .isInstanceOf(CreditLimitExceededException.class);

    orders.placeOrder(dave, 10_000);
    await().atMost(WAIT).until(() -> balance(dave).equals(Optional.of(new Balance(2, 70_000))));
    // everything committed is now acknowledged by Kafka, so the topic holds all there is to see
    await().atMost(WAIT).until(() -> outboxRows() == 0);
    assertThat(
            jdbc.queryForObject("SELECT COUNT(*) FROM orders WHERE customer = ?", Long.class, dave))
        .isEqualTo(2);
    List<Long> published =
        TestKafka.get().readAll(topic).stream()
            .map(r -> fromJson(r.value()))
            .filter(e -> e.customer().equals(dave))
            .map(OrderPlaced::amountCents)
            .toList();
    assertThat(published).containsExactlyInAnyOrder(60_000L, 10_000L);
  }

  @Test
  void aRedeliveredEventIsAcknowledgedButNotBilledAgain() throws Exception {
    String carol = customer("carol");
    String order = orders.placeOrder(carol, 1_000);
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
  void theOutboxRefusesToWriteOutsideASpringTransaction() {
    TransactionalOutbox outbox = context.getBean(TransactionalOutbox.class);
    OutboxMessage message =
        OutboxMessage.builder()
            .topic(topic)
            .key("k")
            .eventType(OrderPlaced.TYPE)
            .jsonPayload("{}")
            .build();

    assertThatThrownBy(() -> outbox.write(message))
        .isInstanceOf(NotInTransactionException.class);
  }

  // --- helpers ---

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
    MeterRegistry meters = context.getBean(InboxConsumers.class).consumers().get(0).meterRegistry();
    Counter counter = meters.find("waybill.inbox.duplicates").counter();
    return counter == null ? 0 : counter.count();
  }

  private OrderPlaced fromJson(byte[] json) {
    return context.getBean(JsonMapper.class).readValue(json, OrderPlaced.class);
  }

  private Optional<Balance> balance(String customer) {
    return jdbc
        .query(
            "SELECT orders, balance_cents FROM customer_balance WHERE customer = ?",
            (rs, n) -> new Balance(rs.getInt(1), rs.getLong(2)),
            customer)
        .stream()
        .findFirst();
  }

  private long outboxRows() {
    Long n = jdbc.queryForObject("SELECT COUNT(*) FROM waybill_outbox", Long.class);
    return n == null ? 0 : n;
  }
}
