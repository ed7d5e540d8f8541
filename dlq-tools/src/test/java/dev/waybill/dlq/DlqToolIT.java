package dev.waybill.dlq;

import static dev.waybill.dlq.DeadLetterRecords.b;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.RedriveHeaders;
import dev.waybill.testkit.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The DLQ tool against a real broker, with dead letters of Waybill, Spring Kafka and Connect. */
class DlqToolIT {
  static final ObjectMapper JSON = new ObjectMapper();

  final TestKafka kafka = TestKafka.get();
  String dlt;
  String orders;
  String billing;
  String sink;
  String state;

  record Run(int exit, String out, String err) {
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (Exception e) {
        throw new AssertionError("not JSON (exit " + exit + ", err " + err + "): " + out, e);
      }
    }
  }

  @BeforeEach
  void topics() {
    String s = UUID.randomUUID().toString().substring(0, 8);
    dlt = "orders-" + s + ".DLT";
    orders = "orders-" + s;
    billing = "billing-" + s;
    sink = "sink-" + s;
    state = "dlq-state-" + s;
    kafka.createTopic(dlt, 1);
    kafka.createTopic(orders, 3);
    kafka.createTopic(billing, 1);
    kafka.createTopic(sink, 1);
  }

  Run run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    if (!all.get(0).equals("outbox")) {
      all.add("--bootstrap-server");
      all.add(kafka.bootstrapServers());
      all.add("--state-topic");
      all.add(state);
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        DlqMain.execute(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  void produce(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(kafka.producerProperties())) {
      for (ProducerRecord<byte[], byte[]> r : records) {
        p.send(r).get();
      }
    }
  }

  /** Offsets 0-2 Waybill (keys k0..k2), 3 Spring, 4 Connect. */
  List<String> mixed() throws Exception {
    List<String> ids = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      String id = DeadLetterRecords.id();
      ids.add(id);
      rs.add(
          DeadLetterRecords.waybill(
              dlt, orders, 2, 100 + i, "k" + i, id, "{\"order\":" + i + ",\"qty\":-1}"));
    }
    rs.add(DeadLetterRecords.spring(dlt, billing, 0, 7, "inv-1", b("{\"amount\":\"x\"}")));
    rs.add(DeadLetterRecords.connect(dlt, sink, 0, 55, "row-9", new byte[] {1, 2, 3, (byte) 0xff}));
    produce(rs);
    return ids;
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    Map<String, Object> props = new HashMap<>();
    TestKafka.get().consumerProperties("x").forEach((k, v) -> props.put((String) k, v));
    props.remove("group.id");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> ends = c.endOffsets(tps);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (tps.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))
          && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Test
  void listShowsWaybillSpringAndConnectDeadLettersTheSameWay() throws Exception {
    List<String> ids = mixed();
    Run r = run("list", dlt, "--format", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode rows = r.json();
    assertThat(rows).hasSize(5);
    JsonNode w = rows.get(0);
    assertThat(w.path("format").asText()).isEqualTo("waybill");
    assertThat(w.path("key").asText()).isEqualTo("k0");
    assertThat(w.path("messageId").asText()).isEqualTo(ids.get(0));
    assertThat(w.path("originalTopic").asText()).isEqualTo(orders);
    assertThat(w.path("originalPartition").asInt()).isEqualTo(2);
    assertThat(w.path("originalOffset").asLong()).isEqualTo(100);
    assertThat(w.path("exceptionClass").asText()).isEqualTo("java.lang.IllegalStateException");
    assertThat(w.path("consumer").asText()).isEqualTo("orders-service");
    JsonNode s = rows.get(3);
    assertThat(s.path("format").asText()).isEqualTo("spring");
    assertThat(s.path("originalTopic").asText()).isEqualTo(billing);
    assertThat(s.path("originalPartition").asInt()).isZero();
    assertThat(s.path("originalOffset").asLong()).isEqualTo(7);
    assertThat(s.path("consumer").asText()).isEqualTo("billing");
    // Spring's listener wrapper is grouped by its cause (its trace here holds no cause frames)
    assertThat(s.path("exceptionClass").asText())
        .isEqualTo("org.springframework.kafka.listener.ListenerExecutionFailedException");
    assertThat(s.path("cause").asText()).isEqualTo("java.lang.NumberFormatException");
    assertThat(s.path("fingerprint").asText()).isEqualTo("java.lang.NumberFormatException");
    JsonNode c = rows.get(4);
    assertThat(c.path("format").asText()).isEqualTo("connect");
    assertThat(c.path("originalTopic").asText()).isEqualTo(sink);
    assertThat(c.path("originalOffset").asLong()).isEqualTo(55);
    assertThat(c.path("exceptionClass").asText())
        .isEqualTo("org.apache.kafka.connect.errors.DataException");
    assertThat(c.path("consumer").asText()).isEqualTo("jdbc-sink");
    // the same facts in the table
    Run t = run("list", dlt);
    assertThat(t.exit()).isZero();
    assertThat(t.out())
        .contains("0:0", "k0", ids.get(0), orders + "/2/100", "IllegalStateException")
        .contains("0:3", billing + "/0/7", "NumberFormatException")
        .contains("0:4", sink + "/0/55", "DataException");
  }

  @Test
  void showDecodesEveryHeaderAndPrettyPrintsJsonOrHex() throws Exception {
    mixed();
    Run w = run("show", dlt, "0");
    assertThat(w.exit()).as(w.err()).isZero();
    assertThat(w.out())
        .contains("kafka_dlt-original-partition: 2")
        .contains("kafka_dlt-original-offset: 100")
        .contains("kafka_dlt-original-timestamp: 1700000000000 (2023-11-14T22:13:20Z)")
        .contains("waybill_dlt-reason: handler-failed")
        .contains("tenant: acme")
        .contains("at com.acme.orders.Stock.reserve")
        .contains("\"qty\" : -1");
    Run c = run("show", dlt, "0:4", "--format", "json");
    assertThat(c.exit()).isZero();
    assertThat(c.json().path("payloadHex").asText()).isEqualTo("010203ff");
    assertThat(c.out()).contains("__connect.errors.stage", "VALUE_CONVERTER");
    Run text = run("show", dlt, "0:4");
    assertThat(text.out()).contains("00000000  01 02 03 ff");
    Run byId =
        run("show", dlt, "--id", DeadLetters.decode(first(dlt, 1)).messageId().orElseThrow());
    assertThat(byId.out()).contains("dead letter   " + dlt + " 0:1");
    Run missing = run("show", dlt, "0:99");
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("'0:99' → OFFSET → no such dead letter");
  }

  static ConsumerRecord<byte[], byte[]> first(String topic, long offset) {
    return readAll(topic).stream().filter(r -> r.offset() == offset).findFirst().orElseThrow();
  }

  @Test
  void groupsByFingerprintLargestGroupFirst() throws Exception {
    mixed();
    Run r = run("groups", dlt, "--format", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode g = r.json();
    assertThat(g).hasSize(3);
    assertThat(g.get(0).path("count").asInt()).isEqualTo(3);
    assertThat(g.get(0).path("fingerprint").asText())
        .isEqualTo("java.lang.IllegalStateException@com.acme.orders.Stock.reserve");
    assertThat(g.get(0).path("example").path("offset").asLong()).isZero();
    assertThat(g.get(0).path("firstSeen").asText()).isNotBlank();
    assertThat(g.get(1).path("count").asInt()).isEqualTo(1);
    Run t = run("groups", dlt);
    assertThat(t.out()).contains(DeadLetters.groupId(g.get(0).path("fingerprint").asText()));
  }

  @Test
  void everyFilterSelectsWhatItSays() throws Exception {
    List<String> ids = mixed();
    String group =
        DeadLetters.groupId("java.lang.IllegalStateException@com.acme.orders.Stock.reserve");
    assertThat(offsets("--group", group)).containsExactly(0L, 1L, 2L);
    assertThat(offsets("--group", "java.lang.IllegalStateException@com.acme.orders.Stock.reserve"))
        .containsExactly(0L, 1L, 2L);
    assertThat(offsets("--exception", "DataException")).containsExactly(4L);
    assertThat(offsets("--exception", "For input string")).containsExactly(3L);
    assertThat(offsets("--key", "k1")).containsExactly(1L);
    assertThat(offsets("--header", "tenant=globex")).containsExactly(3L);
    assertThat(
            offsets("--header", "tenant=acme", "--header", CloudEventHeaders.ID + "=" + ids.get(2)))
        .containsExactly(2L);
    assertThat(offsets("--from-offset", "1", "--to-offset", "3")).containsExactly(1L, 2L, 3L);
    assertThat(offsets("--partition", "0", "--limit", "2")).containsExactly(0L, 1L);
    assertThat(offsets("--since", "1h")).hasSize(5);
    assertThat(offsets("--until", "1h")).isEmpty();
    assertThat(offsets("--since", "2000-01-01", "--until", "2999-01-01T00:00:00Z")).hasSize(5);
    Run bad = run("list", dlt, "--since", "yesterday");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("'yesterday' → --since → expected an instant");
  }

  List<Long> offsets(String... filter) {
    List<String> args = new ArrayList<>(List.of("list", dlt, "--format", "json"));
    args.addAll(List.of(filter));
    Run r = run(args.toArray(String[]::new));
    assertThat(r.exit()).as(r.err()).isZero();
    List<Long> out = new ArrayList<>();
    r.json().forEach(n -> out.add(n.path("offset").asLong()));
    return out;
  }

  @Test
  void redriveKeepsKeyValueIdAndHeadersAndAddsARedriveCount() throws Exception {
    List<String> ids = mixed();
    Run r =
        run(
            "redrive",
            dlt,
            "--group",
            DeadLetters.groupId("java.lang.IllegalStateException@com.acme.orders.Stock.reserve"),
            "--format",
            "json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().path("sent").asLong()).isEqualTo(3);
    List<ConsumerRecord<byte[], byte[]>> sent = readAll(orders);
    assertThat(sent).hasSize(3);
    assertThat(sent).allSatisfy(s -> assertThat(s.partition()).isEqualTo(2));
    ConsumerRecord<byte[], byte[]> first =
        sent.stream()
            .filter(s -> "k0".equals(new String(s.key(), StandardCharsets.UTF_8)))
            .findFirst()
            .orElseThrow();
    assertThat(new String(first.value(), StandardCharsets.UTF_8))
        .isEqualTo("{\"order\":0,\"qty\":-1}");
    assertThat(header(first, CloudEventHeaders.ID)).isEqualTo(ids.get(0));
    assertThat(header(first, CloudEventHeaders.TYPE)).isEqualTo("OrderPlaced");
    assertThat(header(first, "tenant")).isEqualTo("acme");
    assertThat(header(first, RedriveHeaders.COUNT)).isEqualTo("1");
    assertThat(header(first, RedriveHeaders.SOURCE)).isEqualTo(dlt + "/0/0");
    assertThat(header(first, "kafka_dlt-original-topic")).isNull();
    assertThat(header(first, "waybill_dlt-reason")).isNull();
    // redriven records are resolved: hidden from list, shown with --all
    assertThat(offsets()).containsExactly(3L, 4L);
    Run all = run("list", dlt, "--all");
    assertThat(all.out()).contains("redriven");
    // the same command again finds nothing left to send
    Run again =
        run(
            "redrive",
            dlt,
            "--group",
            DeadLetters.groupId("java.lang.IllegalStateException@com.acme.orders.Stock.reserve"),
            "--format",
            "json");
    assertThat(again.json().path("sent").asLong()).isZero();
    assertThat(readAll(orders)).hasSize(3);
    // a record that was redriven and dead-lettered again counts 2 on its next redrive
    ProducerRecord<byte[], byte[]> again2 =
        DeadLetterRecords.waybill(dlt, orders, 1, 9, "k9", DeadLetterRecords.id(), "{}");
    again2.headers().add(RedriveHeaders.COUNT, b("1"));
    produce(List.of(again2));
    Run third = run("redrive", dlt, "--key", "k9", "--format", "json");
    assertThat(third.json().path("sent").asLong()).isEqualTo(1);
    ConsumerRecord<byte[], byte[]> k9 =
        readAll(orders).stream()
            .filter(s -> "k9".equals(new String(s.key(), StandardCharsets.UTF_8)))
            .findFirst()
            .orElseThrow();
    assertThat(header(k9, RedriveHeaders.COUNT)).isEqualTo("2");
    assertThat(k9.partition()).isEqualTo(1);
  }

  @Test
  void redriveToAnotherTopicAndRefusalToRedriveATopicIntoItself() throws Exception {
    mixed();
    Run self = run("redrive", dlt, "--to", dlt);
    assertThat(self.exit()).isEqualTo(2);
    assertThat(self.err()).contains("'" + dlt + "' → --to → is the dead-letter topic itself");
    Run r = run("redrive", dlt, "--to", sink, "--from-offset", "3", "--format", "json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().path("sent").asLong()).isEqualTo(2);
    List<ConsumerRecord<byte[], byte[]>> got = readAll(sink);
    assertThat(got)
        .extracting(x -> new String(x.key(), StandardCharsets.UTF_8))
        .containsExactly("inv-1", "row-9");
    assertThat(header(got.get(1), "__connect.errors.topic")).isNull();
    assertThat(got.get(1).value()).containsExactly(1, 2, 3, 0xff);
  }

  @Test
  void dryRunChangesNothing() throws Exception {
    mixed();
    Run r = run("redrive", dlt, "--dry-run");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("would send 0:0 → " + orders).contains("would send 0:4 → " + sink);
    assertThat(r.out()).contains("dry run: nothing was sent or recorded");
    Run d = run("discard", dlt, "--dry-run");
    assertThat(d.out()).contains("would discard 0:3");
    assertThat(readAll(orders)).isEmpty();
    assertThat(readAll(sink)).isEmpty();
    assertThat(offsets()).hasSize(5);
    assertThat(run("audit", "--format", "json").json()).isEmpty();
  }

  @Test
  void discardHidesRecordsAndAuditShowsWhoWhatAndWhich() throws Exception {
    mixed();
    Run d =
        run(
            "discard",
            dlt,
            "--exception",
            "DataException",
            "--reason",
            "bad converter, data lost upstream");
    assertThat(d.exit()).as(d.err()).isZero();
    assertThat(d.out()).contains("discarded 1 dead letter(s) of " + dlt + " (0:4)");
    assertThat(offsets()).containsExactly(0L, 1L, 2L, 3L);
    assertThat(run("groups", dlt, "--format", "json").json()).hasSize(2);
    assertThat(run("list", dlt, "--all", "--format", "json").json().get(4).path("status").asText())
        .isEqualTo("discarded");
    Run redrive = run("redrive", dlt, "--key", "k1");
    assertThat(redrive.exit()).as(redrive.err()).isZero();
    JsonNode audit = run("audit", "--topic", dlt, "--format", "json").json();
    assertThat(audit)
        .extracting(a -> a.path("action").asText())
        .containsExactly("discard", "redrive-started", "redrive");
    assertThat(audit.get(0).path("offsets").asText()).isEqualTo("0:4");
    assertThat(audit.get(0).path("count").asInt()).isEqualTo(1);
    assertThat(audit.get(0).path("filter").asText()).isEqualTo("exception=DataException");
    assertThat(audit.get(0).path("reason").asText()).isEqualTo("bad converter, data lost upstream");
    assertThat(audit.get(0).path("by").asText()).contains("@");
    assertThat(audit.get(2).path("offsets").asText()).isEqualTo("0:1");
    assertThat(run("audit").out()).contains("discard", "exception=DataException", "0:4");
  }

  @Test
  void rateLimitHoldsTheRate() throws Exception {
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rs.add(DeadLetterRecords.waybill(dlt, orders, 0, i, "k" + i, DeadLetterRecords.id(), "{}"));
    }
    produce(rs);
    long t0 = System.nanoTime();
    Run r = run("redrive", dlt, "--rate", "100", "--format", "json");
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().path("sent").asLong()).isEqualTo(200);
    assertThat(seconds).isGreaterThanOrEqualTo(1.8);
    assertThat(r.json().path("ratePerSecond").asDouble()).isBetween(80.0, 110.0);
    assertThat(readAll(orders)).hasSize(200);
  }

  @Test
  void aRedriveKilledMidwayAndRunAgainSendsEveryRecordExactlyOnce() throws Exception {
    int n = 400;
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rs.add(
          DeadLetterRecords.waybill(
              dlt, orders, i % 3, i, "k" + (i % 17), DeadLetterRecords.id(), "{\"i\":" + i + "}"));
    }
    produce(rs);
    Path jar = Path.of("target", "dlq.jar");
    assertThat(jar).as("the runnable jar (mvn package builds it)").exists();
    Path log = Files.createTempFile("dlq-kill", ".log");
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-jar",
            jar.toString(),
            "redrive",
            dlt,
            "--rate",
            "100",
            "--no-progress",
            "--bootstrap-server",
            kafka.bootstrapServers(),
            "--state-topic",
            state);
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> !p.isAlive() || endOffsets(orders) >= 120);
      assertThat(p.isAlive())
          .as("still redriving when killed; log: %s", Files.readString(log))
          .isTrue();
    } finally {
      p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    long atKill = endOffsets(orders);
    assertThat(atKill).isLessThan(n);
    Run resumed = run("redrive", dlt, "--takeover-after", "1s", "--format", "json");
    assertThat(resumed.exit()).as(resumed.err()).isZero();
    assertThat(resumed.json().path("resumed").asBoolean()).isTrue();
    List<ConsumerRecord<byte[], byte[]>> all = readAll(orders);
    Map<String, Integer> bySource = new HashMap<>();
    all.forEach(r -> bySource.merge(header(r, RedriveHeaders.SOURCE), 1, Integer::sum));
    assertThat(bySource).hasSize(n);
    assertThat(bySource.values()).allMatch(c -> c == 1);
    assertThat(all).hasSize(n);
    // per key, the redriven order is the dead-letter order
    Map<String, Integer> lastByKey = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : all) {
      int i = Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8).replaceAll("\\D", ""));
      String k = new String(r.key(), StandardCharsets.UTF_8) + "/" + r.partition();
      Integer prev = lastByKey.put(k, i);
      assertThat(prev == null || prev < i).as("order of key %s", k).isTrue();
    }
  }

  @Test
  void aSecondRunNeverJoinsAJobThatIsStillRunning() throws Exception {
    List<ProducerRecord<byte[], byte[]>> rs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rs.add(DeadLetterRecords.waybill(dlt, orders, 0, i, "k" + i, DeadLetterRecords.id(), "{}"));
    }
    produce(rs);
    java.util.concurrent.CompletableFuture<Run> first =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> run("redrive", dlt, "--rate", "50"));
    await().atMost(Duration.ofSeconds(30)).until(() -> endOffsets(orders) >= 20);
    Run second = run("redrive", dlt, "--takeover-after", "2s");
    assertThat(second.exit()).isEqualTo(2);
    assertThat(second.err()).contains("→ job → is running in another process");
    Run done = first.get(60, TimeUnit.SECONDS);
    assertThat(done.exit()).as(done.err()).isZero();
    assertThat(readAll(orders)).hasSize(200);
  }

  static long endOffsets(String topic) {
    Map<String, Object> props = new HashMap<>();
    TestKafka.get().consumerProperties("x").forEach((k, v) -> props.put((String) k, v));
    props.remove("group.id");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
      List<TopicPartition> tps = new ArrayList<>();
      c.partitionsFor(topic).forEach(pi -> tps.add(new TopicPartition(topic, pi.partition())));
      return c.endOffsets(tps).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  @Test
  void helpIsOnEveryCommand() {
    for (String[] c :
        List.of(
            new String[] {"--help"},
            new String[] {"list", "--help"},
            new String[] {"groups", "--help"},
            new String[] {"show", "--help"},
            new String[] {"redrive", "--help"},
            new String[] {"discard", "--help"},
            new String[] {"audit", "--help"},
            new String[] {"outbox", "--help"},
            new String[] {"outbox", "list", "--help"},
            new String[] {"outbox", "retry", "--help"},
            new String[] {"outbox", "discard", "--help"})) {
      StringWriter out = new StringWriter();
      int exit = DlqMain.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), c);
      assertThat(exit).as(String.join(" ", c)).isZero();
      assertThat(out.toString()).contains("Usage:");
    }
  }
}
