package dev.waybill.dlq;

import static dev.waybill.dlq.DeadLetterRecords.b;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.RedriveHeaders;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * A share group's broker-side dead-letter queue (KIP-1191) read by the tool against a real broker.
 * The broker under test (the project's Kafka) does not write these, so the dead letters are written
 * here in exactly the layout of Kafka's {@code ShareGroupDLQStateManager}: the {@code
 * __dlq.errors.*} headers as UTF-8 text, none of the original headers, and no key or value (the
 * group's default is not to copy them).
 */
class ShareGroupDlqIT {
  static final String REJECTED = "Offset rejected by client.";
  static final String EXCEEDED = "Offset delivery count exceeded the threshold.";

  final DlqFixture f = new DlqFixture();

  /** The original records: {@code orders} offsets 0..2, each with a message id. */
  void originals() throws Exception {
    for (int i = 0; i < 3; i++) {
      RecordHeaders h = new RecordHeaders();
      h.add(CloudEventHeaders.ID, b("id-" + i));
      h.add("tenant", b("acme"));
      f.produce(
          List.of(
              new ProducerRecord<>(f.orders, 0, null, b("key-" + i), b("{\"n\":" + i + "}"), h)));
    }
  }

  /** As the broker writes a dead letter of a share group. */
  ProducerRecord<byte[], byte[]> dlq(long offset, Short deliveryCount, String message) {
    RecordHeaders h = new RecordHeaders();
    h.add("__dlq.errors.topic", b(f.orders));
    h.add("__dlq.errors.partition", b("0"));
    h.add("__dlq.errors.offset", b(Long.toString(offset)));
    h.add("__dlq.errors.group", b("order-workers"));
    if (deliveryCount != null) {
      h.add("__dlq.errors.delivery.count", b(Short.toString(deliveryCount)));
    }
    h.add("__dlq.errors.message", b(message));
    return new ProducerRecord<>(f.dlt, 0, System.currentTimeMillis(), null, null, h);
  }

  @Test
  void listGroupsAndShowReadAShareGroupsDeadLetters() throws Exception {
    originals();
    f.produce(
        List.of(
            dlq(0, (short) 1, REJECTED), dlq(1, (short) 1, REJECTED), dlq(2, (short) 5, EXCEEDED)));

    JsonNode list = f.run("list", f.dlt, "--format", "json").json();
    assertThat(list).hasSize(3);
    assertThat(list.get(0).path("format").asText()).isEqualTo("share_group");
    assertThat(list.get(0).path("originalTopic").asText()).isEqualTo(f.orders);
    assertThat(list.get(0).path("originalPartition").asInt()).isZero();
    assertThat(list.get(2).path("originalOffset").asLong()).isEqualTo(2);
    assertThat(list.get(0).path("consumer").asText()).isEqualTo("order-workers");
    assertThat(list.get(2).path("exceptionMessage").asText()).isEqualTo(EXCEEDED);

    JsonNode groups = f.run("groups", f.dlt, "--format", "json").json();
    assertThat(groups).hasSize(2);
    assertThat(groups.get(0).path("count").asLong()).isEqualTo(2);
    assertThat(groups.get(0).path("fingerprint").asText()).contains("order-workers", REJECTED);

    DlqToolIT.Run show = f.run("show", f.dlt, "2");
    assertThat(show.exit()).as(show.err()).isZero();
    assertThat(show.out())
        .contains("(SHARE_GROUP)")
        .contains("origin        " + f.orders + "/0/2")
        .contains("__dlq.errors.delivery.count: 5")
        .contains("not copied by the broker");
  }

  @Test
  void redriveSendsTheOriginalRecordFetchedFromItsTopic() throws Exception {
    originals();
    f.produce(List.of(dlq(1, (short) 1, REJECTED)));

    DlqToolIT.Run run = f.run("redrive", f.dlt, "--format", "json");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.json().path("sent").asLong()).isEqualTo(1);

    List<ConsumerRecord<byte[], byte[]>> all = DlqToolIT.readAll(f.orders);
    assertThat(all).hasSize(4);
    ConsumerRecord<byte[], byte[]> again = all.get(3);
    assertThat(new String(again.key())).isEqualTo("key-1");
    assertThat(new String(again.value())).isEqualTo("{\"n\":1}");
    assertThat(DlqToolIT.header(again, CloudEventHeaders.ID)).isEqualTo("id-1");
    assertThat(DlqToolIT.header(again, "tenant")).isEqualTo("acme");
    assertThat(DlqToolIT.header(again, RedriveHeaders.SOURCE)).isEqualTo(f.dlt + "/0/0");
    assertThat(again.headers().lastHeader("__dlq.errors.topic")).isNull();
  }

  @Test
  void aDeadLetterWhoseOriginalIsNoLongerRetainedIsNotRedrivenAndTheToolSaysWhy() throws Exception {
    originals();
    f.produce(List.of(dlq(0, (short) 1, REJECTED)));
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, f.kafka.bootstrapServers()))) {
      admin
          .deleteRecords(Map.of(new TopicPartition(f.orders, 0), RecordsToDelete.beforeOffset(2)))
          .all()
          .get();
    }

    DlqToolIT.Run dry = f.run("redrive", f.dlt, "--dry-run");
    assertThat(dry.exit()).as(dry.err()).isZero();
    assertThat(dry.out())
        .contains("would refuse 0:0")
        .contains(f.orders + "/0/0 is no longer retained (the partition now starts at offset 2)");

    DlqToolIT.Run run = f.run("redrive", f.dlt, "--format", "json");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.json().path("sent").asLong()).isZero();
    assertThat(run.json().path("refused").asLong()).isEqualTo(1);
    assertThat(run.err()).contains("not redriven: the original record", "is no longer retained");
    assertThat(DlqToolIT.readAll(f.orders)).hasSize(1);
  }
}
