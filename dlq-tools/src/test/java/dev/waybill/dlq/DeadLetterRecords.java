package dev.waybill.dlq;

import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Dead-letter records with the exact header layouts of Waybill's inbox consumer, Spring Kafka's
 * DeadLetterPublishingRecoverer and Kafka Connect's dead-letter queue reporter.
 */
final class DeadLetterRecords {
  static final String STACK =
      "java.lang.IllegalStateException: stock is negative\n"
          + "\tat java.base/java.util.Objects.requireNonNull(Objects.java:233)\n"
          + "\tat com.acme.orders.Stock.reserve(Stock.java:42)\n"
          + "\tat com.acme.orders.OrderHandler.handle(OrderHandler.java:17)\n"
          + "\tat dev.waybill.inbox.internal.RecordProcessor.run(RecordProcessor.java:99)\n";

  static final String CONNECT_STACK =
      "org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect data"
          + " failed\n"
          + "\tat org.apache.kafka.connect.json.JsonConverter.toConnectData(JsonConverter.java:333)\n"
          + "\tat org.apache.kafka.connect.runtime.WorkerSinkTask.convertValue(WorkerSinkTask.java:1)\n";

  private DeadLetterRecords() {}

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] int4(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  static byte[] long8(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  /** As written by Waybill's inbox consumer ({@code DeadLetters.build}). */
  static ProducerRecord<byte[], byte[]> waybill(
      String dlt, String original, int partition, long offset, String key, String id, String json) {
    RecordHeaders h = new RecordHeaders();
    h.add(CloudEventHeaders.ID, b(id));
    h.add(CloudEventHeaders.TYPE, b("OrderPlaced"));
    h.add(CloudEventHeaders.SOURCE, b("urn:waybill:outbox"));
    h.add(CloudEventHeaders.SPEC_VERSION_HEADER, b("1.0"));
    h.add(CloudEventHeaders.CONTENT_TYPE, b("application/json"));
    h.add("tenant", b("acme"));
    h.add(DeadLetterHeaders.ORIGINAL_TOPIC, b(original));
    h.add(DeadLetterHeaders.ORIGINAL_PARTITION, int4(partition));
    h.add(DeadLetterHeaders.ORIGINAL_OFFSET, long8(offset));
    h.add(DeadLetterHeaders.ORIGINAL_TIMESTAMP, long8(1_700_000_000_000L));
    h.add(DeadLetterHeaders.ORIGINAL_TIMESTAMP_TYPE, b("CreateTime"));
    h.add(DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP, b("orders-service"));
    h.add(DeadLetterHeaders.EXCEPTION_FQCN, b("java.lang.IllegalStateException"));
    h.add(DeadLetterHeaders.EXCEPTION_MESSAGE, b("stock is negative"));
    h.add(DeadLetterHeaders.EXCEPTION_STACKTRACE, b(STACK));
    h.add(DeadLetterHeaders.REASON, b("handler-failed"));
    h.add(DeadLetterHeaders.ATTEMPTS, b("5"));
    h.add(
        DeadLetterHeaders.FINGERPRINT,
        b("java.lang.IllegalStateException@com.acme.orders.Stock.reserve"));
    h.add(DeadLetterHeaders.FIRST_FAILURE, b(Instant.now().minusSeconds(5).toString()));
    h.add(DeadLetterHeaders.LAST_FAILURE, b(Instant.now().toString()));
    h.add(DeadLetterHeaders.MESSAGE_ID, b(id));
    return new ProducerRecord<>(dlt, 0, null, key == null ? null : b(key), b(json), h);
  }

  /** As written by Spring Kafka's DeadLetterPublishingRecoverer. */
  static ProducerRecord<byte[], byte[]> spring(
      String dlt, String original, int partition, long offset, String key, byte[] value) {
    RecordHeaders h = new RecordHeaders();
    h.add("tenant", b("globex"));
    h.add(DeadLetterHeaders.ORIGINAL_TOPIC, b(original));
    h.add(DeadLetterHeaders.ORIGINAL_PARTITION, int4(partition));
    h.add(DeadLetterHeaders.ORIGINAL_OFFSET, long8(offset));
    h.add(DeadLetterHeaders.ORIGINAL_TIMESTAMP, long8(1_700_000_000_000L));
    h.add(DeadLetterHeaders.ORIGINAL_TIMESTAMP_TYPE, b("CreateTime"));
    h.add(DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP, b("billing"));
    h.add(
        DeadLetterHeaders.EXCEPTION_FQCN,
        b("org.springframework.kafka.listener.ListenerExecutionFailedException"));
    h.add(DeadLetterHeaders.EXCEPTION_CAUSE_FQCN, b("java.lang.NumberFormatException"));
    h.add(DeadLetterHeaders.EXCEPTION_MESSAGE, b("Listener failed; For input string: \"x\""));
    h.add(
        DeadLetterHeaders.EXCEPTION_STACKTRACE,
        b(
            "org.springframework.kafka.listener.ListenerExecutionFailedException: Listener failed\n"
                + "\tat org.springframework.kafka.listener.KafkaMessageListenerContainer.x(K.java:1)\n"
                + "\tat com.globex.billing.InvoiceListener.onMessage(InvoiceListener.java:31)\n"));
    return new ProducerRecord<>(dlt, 0, null, key == null ? null : b(key), value, h);
  }

  /** As written by Kafka Connect's DLQ reporter with context headers enabled. */
  static ProducerRecord<byte[], byte[]> connect(
      String dlt, String original, int partition, long offset, String key, byte[] value) {
    RecordHeaders h = new RecordHeaders();
    h.add("__connect.errors.topic", b(original));
    h.add("__connect.errors.partition", b(Integer.toString(partition)));
    h.add("__connect.errors.offset", b(Long.toString(offset)));
    h.add("__connect.errors.connector.name", b("jdbc-sink"));
    h.add("__connect.errors.task.id", b("0"));
    h.add("__connect.errors.stage", b("VALUE_CONVERTER"));
    h.add("__connect.errors.class.name", b("org.apache.kafka.connect.json.JsonConverter"));
    h.add(
        "__connect.errors.exception.class.name",
        b("org.apache.kafka.connect.errors.DataException"));
    h.add(
        "__connect.errors.exception.message", b("Converting byte[] to Kafka Connect data failed"));
    h.add("__connect.errors.exception.stacktrace", b(CONNECT_STACK));
    return new ProducerRecord<>(dlt, 0, null, key == null ? null : b(key), value, h);
  }

  static String id() {
    return UUID.randomUUID().toString();
  }
}
