package dev.waybill.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;

class InProcessKafkaIT {

  @Test
  void anAddedBrokerJoinsTheClusterStopsAndStartsAndIsClosedWithTheFirstNode() throws Exception {
    InProcessKafka node2;
    try (InProcessKafka kafka = InProcessKafka.launch(Path.of("target").toAbsolutePath());
        Admin admin =
            Admin.create(KafkaAdmin.properties(kafka.bootstrapServers(), Duration.ofSeconds(10)))) {
      node2 = kafka.addBroker();
      assertThat(nodeIds(admin)).containsExactlyInAnyOrder(1, 2);
      assertThat(node2.bootstrapServers()).isNotEqualTo(kafka.bootstrapServers());
      assertThatThrownBy(node2::addBroker)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("call addBroker() on the node that launched the cluster");

      node2.stop();
      assertThat(node2.isRunning()).isFalse();
      node2.start();
      assertThat(node2.isRunning()).isTrue();
      KafkaAdmin.awaitBroker(kafka.bootstrapServers(), 2, Duration.ofSeconds(30));
    }
    assertThat(node2.isRunning()).as("closed with the node it was added to").isFalse();
    assertThatThrownBy(node2::start).isInstanceOf(IllegalStateException.class);
  }

  private static List<Integer> nodeIds(Admin admin) throws Exception {
    return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
        .map(Node::id)
        .toList();
  }
}
