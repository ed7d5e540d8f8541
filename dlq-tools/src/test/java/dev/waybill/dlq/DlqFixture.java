package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.internal.SafeText;
import dev.waybill.testkit.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A dead-letter topic, its original topic and a state topic of their own on the test broker, and
 * the tool run in-process against them.
 */
final class DlqFixture {
  final TestKafka kafka = TestKafka.get();
  final String dlt;
  final String orders;
  final String state;

  DlqFixture() {
    String s = UUID.randomUUID().toString().substring(0, 8);
    dlt = "orders-" + s + ".DLT";
    orders = "orders-" + s;
    state = "dlq-state-" + s;
    kafka.createTopic(dlt, 1);
    kafka.createTopic(orders, 1);
  }

  /** Runs a Kafka command of the tool with this fixture's broker and state topic. */
  DlqToolIT.Run run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap-server", kafka.bootstrapServers(), "--state-topic", state));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
    return new DlqToolIT.Run(exit, out.toString(), err.toString());
  }

  /** Writes records and waits for each acknowledgement. */
  void produce(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        p.send(r).get();
      }
    }
  }

  /** Fails naming the first character a terminal would act on (newline and tab are layout). */
  static void assertTerminalSafe(String what, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c != '\n' && c != '\t') {
        assertThat(SafeText.isUnsafe(c))
            .as(
                "%s holds U+%04X at %d: %s",
                what, (int) c, i, SafeText.escape(text.substring(Math.max(0, i - 30), i + 1)))
            .isFalse();
      }
    }
  }
}
