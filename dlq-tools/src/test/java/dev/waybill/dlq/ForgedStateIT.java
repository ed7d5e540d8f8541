package dev.waybill.dlq;

import static dev.waybill.dlq.DeadLetterRecords.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.dlq.internal.Filter;
import dev.waybill.dlq.internal.Redriver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Whoever can write the state topic can write anything there: a resolved range as wide as a
 * partition can be, records that are not JSON, a job or audit entry with fields the tool never
 * writes. Every command still runs (with the default test heap), reports each such record by its
 * offset and ignores it.
 */
class ForgedStateIT {
  DlqFixture f;

  @BeforeEach
  void forgedState() throws Exception {
    f = new DlqFixture();
    f.produce(
        List.of(
            DeadLetterRecords.waybill(f.dlt, f.orders, 0, 1, "a", DeadLetterRecords.id(), "{}"),
            DeadLetterRecords.waybill(f.dlt, f.orders, 0, 2, "b", DeadLetterRecords.id(), "{}")));
    f.kafka.createTopic(f.state, 1, Map.of("cleanup.policy", "compact"));
    f.produce(
        List.of(
            state(
                "resolved/forged/0",
                "{\"topic\":\""
                    + f.dlt
                    + "\",\"action\":\"discarded\",\"offsets\":\"0:0-9223372036854775806\"}"),
            state("resolved/forged/1", "not json \u001b[2J"),
            state(
                "resolved/forged/2",
                "{\"topic\":\"" + f.dlt + "\",\"action\":\"discarded\",\"offsets\":\"0:9-3\"}"),
            state("audit/forged", "{\"action\":\"discard\",\"at\":\"yesterday\"}"),
            state(
                "job/" + Redriver.deriveJobId(f.dlt, null, Filter.none()),
                "{\"job\":\"x\",\"run\":\"r1\",\"status\":\"running\",\"topic\":\""
                    + f.dlt
                    + "\",\"heartbeatAt\":\"soon\"}")));
  }

  ProducerRecord<byte[], byte[]> state(String key, String value) {
    return new ProducerRecord<>(f.state, 0, b(key), b(value));
  }

  DlqToolIT.Run runBounded(String... args) {
    CompletableFuture<DlqToolIT.Run> run = CompletableFuture.supplyAsync(() -> f.run(args));
    await().atMost(Duration.ofSeconds(90)).until(run::isDone);
    return run.join();
  }

  @Test
  void aForgedRangeCoveringAWholePartitionNeitherExhaustsMemoryNorHidesRecords() {
    DlqToolIT.Run list = runBounded("list", f.dlt, "--format", "json");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.json()).hasSize(2);
    assertThat(list.err())
        .contains(
            "dlq: ignored state record at offset 0 of "
                + f.state
                + " marks "
                + f.dlt
                + " 0:0-9223372036854775806 discarded, beyond the partition's end offset 2");
    DlqToolIT.Run groups = runBounded("groups", f.dlt, "--format", "json");
    assertThat(groups.exit()).as(groups.err()).isZero();
    assertThat(groups.json().get(0).path("count").asInt()).isEqualTo(2);
  }

  @Test
  void recordsThatAreNotWhatTheToolWritesAreReportedByOffsetAndIgnored() {
    DlqToolIT.Run list = runBounded("list", f.dlt);
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.err())
        .contains(
            "dlq: ignored state record at offset 1 of "
                + f.state
                + " (key resolved/forged/1) is not JSON")
        .contains("offset 2 of " + f.state + " (key resolved/forged/2) offsets: range 0:9-3")
        .contains("offset 3 of " + f.state + " (key audit/forged)")
        .contains("offset 4 of " + f.state + " (key job/");
    DlqToolIT.Run audit = runBounded("audit", "--format", "json");
    assertThat(audit.exit()).as(audit.err()).isZero();
    assertThat(audit.json()).isEmpty();
    assertThat(audit.err()).contains("offset 3 of " + f.state + " (key audit/forged)");
    // a forged job record is not resumed: the redrive starts a run of its own and sends both
    DlqToolIT.Run redrive = runBounded("redrive", f.dlt, "--format", "json");
    assertThat(redrive.exit()).as(redrive.err()).isZero();
    assertThat(redrive.json().path("resumed").asBoolean()).isFalse();
    assertThat(redrive.json().path("sent").asLong()).isEqualTo(2);
    assertThat(f.kafka.readAll(f.orders)).hasSize(2);
  }
}
