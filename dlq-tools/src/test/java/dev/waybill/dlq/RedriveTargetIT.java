package dev.waybill.dlq;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.waybill.outbox.wire.DeadLetterHeaders;
import dev.waybill.outbox.wire.RedriveHeaders;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A dead letter names its own redrive target in a header anyone who writes the dead-letter topic
 * can set: the state topic and dead-letter topics are refused, and {@code --allow-topic} narrows
 * the targets to a list. A refused record stays in the dead-letter topic.
 */
class RedriveTargetIT {
  DlqFixture f;
  String otherDlt;
  String billing;

  @BeforeEach
  void topics() {
    f = new DlqFixture();
    String s = UUID.randomUUID().toString().substring(0, 8);
    otherDlt = "payments-" + s + ".DLT";
    billing = "billing-" + s;
    f.kafka.createTopic(otherDlt, 1);
    f.kafka.createTopic(billing, 1);
  }

  /** Offsets: 0 to the state topic, 1 to another dead-letter topic, 2 to orders, 3 to billing. */
  void deadLetters() throws Exception {
    f.produce(
        List.of(
            DeadLetterRecords.waybill(f.dlt, f.state, 0, 1, "s", DeadLetterRecords.id(), "{}"),
            DeadLetterRecords.waybill(f.dlt, otherDlt, 0, 2, "d", DeadLetterRecords.id(), "{}"),
            DeadLetterRecords.waybill(f.dlt, f.orders, 0, 3, "o", DeadLetterRecords.id(), "{}"),
            DeadLetterRecords.waybill(f.dlt, billing, 0, 4, "b", DeadLetterRecords.id(), "{}")));
  }

  @Test
  void aRedriveRefusesTheStateTopicAndDeadLetterTopicsAndSaysWhichRecordsStayed() throws Exception {
    deadLetters();
    DlqToolIT.Run r = f.run("redrive", f.dlt, "--format", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode summary = r.json();
    assertThat(summary.path("sent").asLong()).isEqualTo(2);
    assertThat(summary.path("refused").asLong()).isEqualTo(2);
    assertThat(summary.path("refusedTargets").path(f.state).asText())
        .contains("the tool's state topic");
    assertThat(summary.path("refusedTargets").path(otherDlt).asText())
        .contains("is a dead-letter topic");
    assertThat(r.err())
        .contains("dead letter 0:0 not redriven: its target '" + f.state + "'")
        .contains("dead letter 0:1 not redriven: its target '" + otherDlt + "'")
        .contains("it stays in " + f.dlt);
    assertThat(f.kafka.readAll(otherDlt)).isEmpty();
    assertThat(f.kafka.readAll(f.state))
        .noneMatch(x -> x.headers().lastHeader(RedriveHeaders.SOURCE) != null);
    assertThat(f.kafka.readAll(f.orders)).hasSize(1);
    assertThat(f.kafka.readAll(billing)).hasSize(1);
    // the refused ones are still open; the sent ones are resolved
    JsonNode open = f.run("list", f.dlt, "--format", "json").json();
    assertThat(open).extracting(n -> n.path("offset").asLong()).containsExactly(0L, 1L);
    // and a dry run says the same without sending
    DlqToolIT.Run dry = f.run("redrive", f.dlt, "--dry-run");
    assertThat(dry.out()).contains("would refuse 0:0 → " + f.state + ": is the tool's state topic");
  }

  @Test
  void toTheStateTopicOrADeadLetterTopicIsAnUsageError() throws Exception {
    deadLetters();
    DlqToolIT.Run state = f.run("redrive", f.dlt, "--to", f.state);
    assertThat(state.exit()).isEqualTo(2);
    assertThat(state.err()).contains("'" + f.state + "' → --to → is the tool's state topic");
    DlqToolIT.Run dlt = f.run("redrive", f.dlt, "--to", otherDlt);
    assertThat(dlt.exit()).isEqualTo(2);
    assertThat(dlt.err()).contains("'" + otherDlt + "' → --to → is a dead-letter topic");
    DlqToolIT.Run internal = f.run("redrive", f.dlt, "--to", "__consumer_offsets");
    assertThat(internal.exit()).isEqualTo(2);
    assertThat(internal.err()).contains("is a Kafka internal topic");
    assertThat(f.kafka.readAll(otherDlt)).isEmpty();
  }

  @Test
  void allowTopicSendsOnlyToTheTopicsItNames() throws Exception {
    deadLetters();
    DlqToolIT.Run r = f.run("redrive", f.dlt, "--allow-topic", f.orders, "--format", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().path("sent").asLong()).isEqualTo(1);
    assertThat(r.json().path("refused").asLong()).isEqualTo(3);
    assertThat(r.json().path("refusedTargets").path(billing).asText())
        .isEqualTo("is not in --allow-topic " + f.orders);
    assertThat(f.kafka.readAll(f.orders)).hasSize(1);
    assertThat(f.kafka.readAll(billing)).isEmpty();
    // naming a dead-letter topic allows it; the state topic never
    DlqToolIT.Run more =
        f.run(
            "redrive",
            f.dlt,
            "--allow-topic",
            billing + "," + otherDlt,
            "--allow-topic",
            f.state,
            "--format",
            "json");
    assertThat(more.exit()).as(more.err()).isZero();
    assertThat(more.json().path("sent").asLong()).isEqualTo(2);
    assertThat(more.json().path("refused").asLong()).isEqualTo(1);
    assertThat(f.kafka.readAll(billing)).hasSize(1);
    assertThat(f.kafka.readAll(otherDlt)).hasSize(1);
    // a name Kafka would refuse is refused up front
    DlqToolIT.Run bad = f.run("redrive", f.dlt, "--allow-topic", "a b");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("'a b' → --allow-topic → is not a legal Kafka topic name");
  }

  @Test
  void aDeadLetterTheConsumerShrankWithoutItsValueIsNotRedrivenAndSaysWhereTheOriginalIs()
      throws Exception {
    ProducerRecord<byte[], byte[]> whole =
        DeadLetterRecords.waybill(f.dlt, f.orders, 0, 7, "k", DeadLetterRecords.id(), "{}");
    whole.headers().add(DeadLetterHeaders.LEFT_OUT, "value: too large".getBytes(UTF_8));
    ProducerRecord<byte[], byte[]> shrunk =
        new ProducerRecord<>(f.dlt, 0, null, whole.key(), null, whole.headers());
    f.produce(List.of(shrunk));
    DlqToolIT.Run r = f.run("redrive", f.dlt, "--format", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().path("sent").asLong()).isZero();
    assertThat(r.json().path("refused").asLong()).isEqualTo(1);
    assertThat(r.err())
        .contains("dead letter 0:0 not redriven: it was dead-lettered without value: too large")
        .contains("kafka_dlt-original-*");
    assertThat(f.kafka.readAll(f.orders)).isEmpty();
  }
}
