package dev.waybill.spring.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.dlq.DeadLetter;
import dev.waybill.dlq.DeadLetterFormat;
import dev.waybill.dlq.DeadLetters;
import dev.waybill.dlq.DlqMain;
import dev.waybill.inbox.InboxConsumer;
import dev.waybill.spring.inbox.app.InboxTestApplication;
import dev.waybill.spring.inbox.app.Invoices;
import dev.waybill.spring.inbox.app.ListenerBilling;
import dev.waybill.spring.inbox.internal.InboxConsumers;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import dev.waybill.testkit.TopicRecords;
import io.micrometer.core.instrument.Counter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The inbox in a Spring Boot application, against real PostgreSQL and Kafka: an {@code
 * InboxHandler} writing through JPA, and a {@code @KafkaListener} using {@link InboxOnce} with
 * Spring Kafka's dead-letter recoverer. The starter migrates the inbox tables itself.
 */
@SpringBootTest(classes = InboxTestApplication.class)
@DirtiesContext
class SpringInboxIT {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String SUFFIX = UUID.randomUUID().toString().substring(0, 8);
  private static final String INBOX_TOPIC = "orders-inbox-" + SUFFIX;
  private static final String LISTENER_TOPIC = "orders-listener-" + SUFFIX;
  private static final String GROUP = "billing-" + SUFFIX;
  private static final TestDatabase DB = TestDatabases.postgres();

  @Autowired Invoices invoices;
  @Autowired JdbcTemplate jdbc;
  @Autowired InboxConsumers consumers;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry r) {
    TestKafka kafka = TestKafka.get();
    for (String t : List.of(INBOX_TOPIC, INBOX_TOPIC + ".DLT", LISTENER_TOPIC)) {
      kafka.createTopic(t, 1);
    }
    kafka.createTopic(LISTENER_TOPIC + ".DLT", 1);
    r.add("spring.datasource.url", DB::jdbcUrl);
    r.add("spring.datasource.username", DB::user);
    r.add("spring.datasource.password", DB::password);
    r.add("spring.jpa.hibernate.ddl-auto", () -> "create");
    r.add("spring.kafka.bootstrap-servers", kafka::bootstrapServers);
    r.add("spring.kafka.consumer.auto-offset-reset", () -> "earliest");
    r.add("waybill.inbox.group-id", () -> GROUP);
    r.add("waybill.inbox.topics", () -> INBOX_TOPIC);
    r.add("waybill.inbox.retry.max.attempts", () -> "2");
    r.add("waybill.inbox.retry.backoff.initial", () -> "50ms");
    r.add("test.listener.topic", () -> LISTENER_TOPIC);
  }

  /** Drops the database when the context closes, after the consumers and listener stopped. */
  @TestConfiguration
  static class DropTheDatabase {
    @Bean
    DisposableBean dropTestDatabase() {
      return DB::close;
    }
  }

  @Test
  void aRecordDeliveredTwiceIsAppliedOnceByTheInboxHandler() throws Exception {
    String order = "o-" + UUID.randomUUID();
    String id = UUID.randomUUID().toString();
    send(INBOX_TOPIC, id, order, 1_200);
    send(INBOX_TOPIC, id, order, 1_200);

    InboxConsumer consumer = consumers.consumers().get(0);
    assertThat(consumer.config().groupId()).isEqualTo(GROUP);
    await().atMost(WAIT).until(() -> counter(consumer, "waybill.inbox.duplicates") >= 1);
    assertThat(invoices.findById(order))
        .get()
        .extracting(i -> i.getAmountCents())
        .isEqualTo(1_200L);
    assertThat(invoices.findById(order).get().getBilledBy()).isEqualTo("inbox-handler");
    assertThat(inboxRows(GROUP, id)).isEqualTo(1);
  }

  @Test
  void aFailingHandlersJpaWriteRollsBackWithTheInboxRowAndIsDeadLettered() throws Exception {
    String order = "o-" + UUID.randomUUID();
    String id = UUID.randomUUID().toString();
    send(INBOX_TOPIC, id, order, -5);

    List<ConsumerRecord<byte[], byte[]>> dead =
        await()
            .atMost(WAIT)
            .until(
                () -> readAll(INBOX_TOPIC + ".DLT"),
                l -> l.stream().anyMatch(r -> id.equals(TopicRecords.header(r, "ce_id"))));
    assertThat(dead).isNotEmpty();
    assertThat(invoices.findById(order)).as("the handler's JPA write rolled back").isEmpty();
    assertThat(inboxRows(GROUP, id)).as("so did the inbox row").isZero();
    InboxConsumer consumer = consumers.consumers().get(0);
    assertThat(counter(consumer, "waybill.inbox.retries")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void theKafkaListenerRecipeAppliesATwiceDeliveredRecordOnce() throws Exception {
    String order = "o-" + UUID.randomUUID();
    String id = UUID.randomUUID().toString();
    send(LISTENER_TOPIC, id, order, 700);
    send(LISTENER_TOPIC, id, order, 800); // same id: a redelivery, whatever it says
    String marker = "o-" + UUID.randomUUID();
    send(LISTENER_TOPIC, UUID.randomUUID().toString(), marker, 1);

    // the listener handles records in order: once the marker is billed, both copies were seen
    await().atMost(WAIT).until(() -> invoices.findById(marker).isPresent());
    assertThat(invoices.findById(order)).get().extracting(i -> i.getAmountCents()).isEqualTo(700L);
    assertThat(inboxRows(ListenerBilling.GROUP, id)).isEqualTo(1);
  }

  @Test
  void aRecordSpringKafkaDeadLetteredIsListedByTheDlqTool() throws Exception {
    String order = "o-" + UUID.randomUUID();
    String id = UUID.randomUUID().toString();
    send(LISTENER_TOPIC, id, order, -1);

    String dlt = LISTENER_TOPIC + ".DLT";
    List<ConsumerRecord<byte[], byte[]>> dead =
        await()
            .atMost(WAIT)
            .until(
                () -> readAll(dlt),
                l -> l.stream().anyMatch(r -> id.equals(TopicRecords.header(r, "ce_id"))));
    ConsumerRecord<byte[], byte[]> record =
        dead.stream().filter(r -> id.equals(TopicRecords.header(r, "ce_id"))).findFirst().get();
    assertThat(invoices.findById(order)).as("rolled back with the inbox row").isEmpty();
    assertThat(inboxRows(ListenerBilling.GROUP, id)).isZero();

    DeadLetter letter = DeadLetters.decode(record);
    assertThat(letter.format()).isEqualTo(DeadLetterFormat.SPRING);
    assertThat(letter.originalTopic()).contains(LISTENER_TOPIC);
    assertThat(letter.consumer()).contains(ListenerBilling.GROUP);
    assertThat(letter.messageId()).contains(id);

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(
            new PrintWriter(out),
            new PrintWriter(err),
            "list",
            dlt,
            "--bootstrap-server",
            TestKafka.get().bootstrapServers(),
            "--state-topic",
            "dlq-state-" + SUFFIX);
    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString())
        .contains(LISTENER_TOPIC)
        .contains(id)
        .contains("IllegalStateException");
  }

  private static void send(String topic, String id, String order, long cents) throws Exception {
    String json = "{\"orderId\":\"" + order + "\",\"amountCents\":" + cents + "}";
    ProducerRecord<byte[], byte[]> r =
        new ProducerRecord<>(
            topic, order.getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
    r.headers().add("ce_id", id.getBytes(StandardCharsets.UTF_8));
    r.headers().add("ce_type", "OrderPlaced".getBytes(StandardCharsets.UTF_8));
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(TestKafka.get().producerProperties())) {
      p.send(r).get();
    }
  }

  private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    return TopicRecords.readAll(
        TestKafka.get().consumerProperties("it-read-" + UUID.randomUUID()),
        topic,
        Duration.ofSeconds(20));
  }

  private long inboxRows(String consumer, String id) {
    return jdbc.queryForObject(
        "SELECT COUNT(*) FROM waybill_inbox WHERE consumer_group = ? AND message_id = ?",
        Long.class,
        consumer,
        id);
  }

  private static double counter(InboxConsumer consumer, String name) {
    return consumer.meterRegistry().find(name).counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }
}
