package dev.waybill.dlq;

import static dev.waybill.dlq.DeadLetterRecords.b;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * Dead letters of a Spring Kafka application, whose every failure is wrapped in {@code
 * ListenerExecutionFailedException}: grouped by the cause inside the wrapper, against a real
 * broker.
 */
class SpringWrappedFailuresIT {
  static final String LEFE = "org.springframework.kafka.listener.ListenerExecutionFailedException";

  final DlqFixture f = new DlqFixture();

  /** As Spring's DeadLetterPublishingRecoverer writes a wrapped listener failure. */
  ProducerRecord<byte[], byte[]> wrapped(long offset, String cause, String frame) {
    RecordHeaders h = new RecordHeaders();
    h.add(DeadLetterHeaders.ORIGINAL_TOPIC, b(f.orders));
    h.add(DeadLetterHeaders.ORIGINAL_PARTITION, DeadLetterRecords.int4(0));
    h.add(DeadLetterHeaders.ORIGINAL_OFFSET, DeadLetterRecords.long8(offset));
    h.add(DeadLetterHeaders.ORIGINAL_CONSUMER_GROUP, b("billing"));
    h.add(DeadLetterHeaders.EXCEPTION_FQCN, b(LEFE));
    h.add(DeadLetterHeaders.EXCEPTION_CAUSE_FQCN, b(cause));
    h.add(DeadLetterHeaders.EXCEPTION_MESSAGE, b("Listener method 'onMessage' threw exception"));
    h.add(
        DeadLetterHeaders.EXCEPTION_STACKTRACE,
        b(
            LEFE
                + ": Listener method 'onMessage' threw exception\n"
                + "\tat org.springframework.kafka.listener.KafkaMessageListenerContainer"
                + ".decorateException(KafkaMessageListenerContainer.java:2951)\n"
                + "\tat org.springframework.kafka.listener.KafkaMessageListenerContainer"
                + ".doInvokeOnMessage(KafkaMessageListenerContainer.java:2864)\n"
                + "Caused by: "
                + cause
                + ": bad invoice\n"
                + "\tat "
                + frame
                + "(Invoices.java:31)\n"
                + "\tat org.springframework.kafka.listener.adapter.MessagingMessageListenerAdapter"
                + ".invokeHandler(MessagingMessageListenerAdapter.java:380)\n"
                + "\t... 14 more\n"));
    return new ProducerRecord<>(f.dlt, 0, null, b("k" + offset), b("{}"), h);
  }

  @Test
  void springDeadLettersOfDifferentCausesFallIntoDifferentGroups() throws Exception {
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    records.add(wrapped(0, "java.lang.IllegalStateException", "com.globex.Invoices.charge"));
    records.add(wrapped(1, "java.lang.IllegalStateException", "com.globex.Invoices.charge"));
    records.add(wrapped(2, "java.lang.NumberFormatException", "com.globex.Invoices.parse"));
    f.produce(records);

    DlqToolIT.Run groups = f.run("groups", f.dlt, "--format", "json");
    assertThat(groups.exit()).as(groups.err()).isZero();
    JsonNode g = groups.json();
    assertThat(g).hasSize(2);
    assertThat(g.get(0).path("fingerprint").asText())
        .isEqualTo("java.lang.IllegalStateException@com.globex.Invoices.charge");
    assertThat(g.get(0).path("count").asLong()).isEqualTo(2);
    assertThat(g.get(1).path("fingerprint").asText())
        .isEqualTo("java.lang.NumberFormatException@com.globex.Invoices.parse");
  }

  @Test
  void showNamesBothTheWrapperAndTheCauseItIsGroupedBy() throws Exception {
    f.produce(List.of(wrapped(0, "java.lang.NumberFormatException", "com.globex.Invoices.parse")));

    DlqToolIT.Run show = f.run("show", f.dlt, "0");
    assertThat(show.exit()).as(show.err()).isZero();
    assertThat(show.out())
        .contains("exception     " + LEFE)
        .contains("cause         java.lang.NumberFormatException (grouped by it)")
        .contains("java.lang.NumberFormatException@com.globex.Invoices.parse");
    JsonNode json = f.run("show", f.dlt, "0", "--format", "json").json();
    assertThat(json.path("exceptionClass").asText()).isEqualTo(LEFE);
    assertThat(json.path("cause").asText()).isEqualTo("java.lang.NumberFormatException");

    // --exception finds it by its cause as well
    DlqToolIT.Run list = f.run("list", f.dlt, "--exception", "NumberFormat", "--format", "json");
    assertThat(list.json()).hasSize(1);
  }
}
