package dev.waybill.relay;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.waybill.testkit.InProcessKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;

/**
 * A test's own Kafka cluster of two in-process brokers on which one topic refuses every {@code
 * acks=all} write after it left the client, while another topic on the same broker is acknowledged.
 * The good topic's partitions live on node 1 alone; the refusing topic's one partition on nodes 1
 * (leader) and 2 with {@code min.insync.replicas=2}. Node 2 is stopped and {@link #start} returns
 * once the partition's in-sync replicas shrank to [1]: node 1 then answers every write to it with
 * {@code NOT_ENOUGH_REPLICAS}, a retriable error, which the producer retries until the delivery
 * timeout expires the batch.
 */
final class RefusingCluster implements AutoCloseable {
  private final InProcessKafka kafka;
  private final Admin admin;

  private RefusingCluster(InProcessKafka kafka, Admin admin) {
    this.kafka = kafka;
    this.admin = admin;
  }

  /** Starts the cluster with both topics; the caller closes it. */
  static RefusingCluster start(String goodTopic, int goodPartitions, String refusingTopic)
      throws Exception {
    InProcessKafka kafka = InProcessKafka.launch(Path.of("target").toAbsolutePath());
    Admin admin = null;
    try {
      InProcessKafka node2 = kafka.addBroker();
      admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()));
      Map<Integer, List<Integer>> onNode1 = new HashMap<>();
      for (int p = 0; p < goodPartitions; p++) {
        onNode1.put(p, List.of(1));
      }
      admin
          .createTopics(
              List.of(
                  new NewTopic(goodTopic, onNode1),
                  new NewTopic(refusingTopic, Map.of(0, List.of(1, 2)))
                      .configs(Map.of("min.insync.replicas", "2"))))
          .all()
          .get(30, SECONDS);
      node2.stop();
      Admin a = admin;
      await("the in-sync replicas of " + refusingTopic + " shrunk to [1]")
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  a
                      .describeTopics(List.of(refusingTopic))
                      .allTopicNames()
                      .get(10, SECONDS)
                      .get(refusingTopic)
                      .partitions()
                      .get(0)
                      .isr()
                      .stream()
                      .map(Node::id)
                      .toList()
                      .equals(List.of(1)));
      return new RefusingCluster(kafka, admin);
    } catch (Exception | Error e) {
      if (admin != null) {
        admin.close();
      }
      kafka.close();
      throw e;
    }
  }

  /** The {@code bootstrap.servers} value for the relay and consumers. */
  String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** The end offset of a partition: how many records the broker took. */
  long endOffset(String topic, int partition) throws Exception {
    TopicPartition tp = new TopicPartition(topic, partition);
    return admin
        .listOffsets(Map.of(tp, OffsetSpec.latest()))
        .partitionResult(tp)
        .get(30, SECONDS)
        .offset();
  }

  /** Closes the admin client and both brokers. */
  @Override
  public void close() {
    try {
      admin.close();
    } finally {
      kafka.close();
    }
  }

  /**
   * Asserts that a dead letter's error message is this cluster's refusal of {@code refusing}: the
   * producer retries {@code NOT_ENOUGH_REPLICAS} until the delivery timeout expires the batch (or,
   * should a refusal arrive just after it, fails it with the refusal itself).
   */
  static void assertRefusal(String errorMessage, String refusing) {
    assertThat(errorMessage)
        .satisfiesAnyOf(
            m ->
                assertThat(m)
                    .contains("TimeoutException: Expiring ")
                    .contains(" for " + refusing + "-0:"),
            m -> assertThat(m).contains("NotEnoughReplicasException"));
  }
}
