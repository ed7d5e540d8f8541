package dev.waybill.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TestKafkaIT {

  private static final String SEQ_HEADER = "waybill-seq";
  private static final int KEYS = 7;

  private static TestKafka kafka;

  @BeforeAll
  static void startBroker() {
    long started = System.nanoTime();
    kafka = TestKafka.get();
    System.out.println(
        kafka + " ready in " + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms");
  }

  @Test
  void producesAndConsumesRecordsThroughTheBroker() throws Exception {
    String topic = "testkit-" + Names.hex(4);
    kafka.createTopic(topic, 3);

    List<RecordMetadata> sent = produce(topic, 0, 100);
    assertThat(sent).extracting(RecordMetadata::partition).containsOnly(0, 1, 2);

    List<ConsumerRecord<byte[], byte[]>> received = consume(topic, "group-" + Names.hex(4), 100);

    assertThat(received).hasSize(100);
    Map<Integer, List<Integer>> seqsByPartition = new TreeMap<>();
    Map<String, Integer> partitionByKey = new TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> record : received) {
      Header header = record.headers().lastHeader(SEQ_HEADER);
      assertThat(header).as("header %s", SEQ_HEADER).isNotNull();
      int seq = Integer.parseInt(new String(header.value(), UTF_8));
      String key = new String(record.key(), UTF_8);
      assertThat(key).isEqualTo("key-" + seq % KEYS);
      assertThat(new String(record.value(), UTF_8)).isEqualTo("value-" + seq);
      seqsByPartition.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(seq);
      assertThat(partitionByKey.putIfAbsent(key, record.partition()))
          .as("every record of %s in one partition", key)
          .isIn(null, record.partition());
    }
    assertThat(seqsByPartition).containsOnlyKeys(0, 1, 2);
    seqsByPartition.values().forEach(seqs -> assertThat(seqs).isSorted().doesNotHaveDuplicates());
    assertThat(seqsByPartition.values().stream().flatMap(List::stream))
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.IntStream.range(0, 100).boxed().toList());
  }

  @Test
  void brokerComesBackAfterStopAndStartWithItsData() throws Exception {
    String topic = "testkit-restart-" + Names.hex(4);
    kafka.createTopic(topic, 2);
    produce(topic, 0, 20);

    try {
      kafka.stop();
    } catch (UnsupportedOperationException e) {
      Assumptions.abort(e.getMessage());
    }
    assertThat(kafka.isRunning()).isFalse();
    if (kafka.toString().contains("in-process")) {
      assertThatThrownBy(() -> connectTo(kafka.bootstrapServers()))
          .isInstanceOf(ConnectException.class);
    }

    kafka.start();

    assertThat(kafka.isRunning()).isTrue();
    List<ConsumerRecord<byte[], byte[]>> earlier = consume(topic, "after-" + Names.hex(4), 20);
    assertThat(earlier)
        .extracting(record -> new String(record.value(), UTF_8))
        .containsExactlyInAnyOrderElementsOf(
            java.util.stream.IntStream.range(0, 20).mapToObj(i -> "value-" + i).toList());

    produce(topic, 20, 5);
    assertThat(consume(topic, "again-" + Names.hex(4), 25)).hasSize(25);
  }

  private static List<RecordMetadata> produce(String topic, int from, int count)
      throws InterruptedException, ExecutionException {
    Properties properties = kafka.producerProperties();
    properties.put(ProducerConfig.ACKS_CONFIG, "all");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(properties)) {
      for (int seq = from; seq < from + count; seq++) {
        ProducerRecord<byte[], byte[]> record =
            new ProducerRecord<>(
                topic,
                null,
                ("key-" + seq % KEYS).getBytes(UTF_8),
                ("value-" + seq).getBytes(UTF_8),
                List.of(new RecordHeader(SEQ_HEADER, Integer.toString(seq).getBytes(UTF_8))));
        futures.add(producer.send(record));
      }
      producer.flush();
    }
    List<RecordMetadata> sent = new ArrayList<>();
    for (Future<RecordMetadata> future : futures) {
      sent.add(future.get());
    }
    return sent;
  }

  private static List<ConsumerRecord<byte[], byte[]>> consume(
      String topic, String groupId, int expected) {
    List<ConsumerRecord<byte[], byte[]>> received = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(kafka.consumerProperties(groupId))) {
      consumer.subscribe(List.of(topic));
      while (received.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(received::add);
      }
      // nothing beyond what was produced
      consumer.poll(Duration.ofMillis(200)).forEach(received::add);
    }
    return received;
  }

  private static void connectTo(String bootstrapServers) throws IOException {
    String[] hostPort = bootstrapServers.split(",")[0].split(":");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 2_000);
    }
  }
}
