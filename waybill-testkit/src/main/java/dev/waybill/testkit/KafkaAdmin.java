package dev.waybill.testkit;

import java.time.Duration;
import java.util.Collection;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;

/** Admin-client helpers shared by the brokers. */
final class KafkaAdmin {

  private KafkaAdmin() {}

  static Properties properties(String bootstrapServers, Duration requestTimeout) {
    Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "waybill-testkit-admin");
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
    properties.put(
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) requestTimeout.toMillis());
    return properties;
  }

  /**
   * Waits until {@code describeCluster} lists a broker.
   *
   * @throws IllegalStateException naming the address if that does not happen within {@code timeout}
   */
  static void awaitCluster(String bootstrapServers, Duration timeout) {
    awaitNodes(bootstrapServers, nodes -> !nodes.isEmpty(), "no Kafka broker answered", timeout);
  }

  /**
   * Waits until {@code describeCluster} lists the broker {@code nodeId}, i.e. it is registered and
   * unfenced.
   *
   * @throws IllegalStateException naming the address if that does not happen within {@code timeout}
   */
  static void awaitBroker(String bootstrapServers, int nodeId, Duration timeout) {
    awaitNodes(
        bootstrapServers,
        nodes -> nodes.stream().anyMatch(node -> node.id() == nodeId),
        "the cluster did not list Kafka broker " + nodeId,
        timeout);
  }

  private static void awaitNodes(
      String bootstrapServers,
      Predicate<Collection<Node>> ready,
      String failure,
      Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    try (Admin admin = Admin.create(properties(bootstrapServers, Duration.ofSeconds(5)))) {
      while (true) {
        try {
          Collection<Node> nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          if (ready.test(nodes)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(
              failure
                  + " at "
                  + bootstrapServers
                  + " within "
                  + timeout.toSeconds()
                  + " s"
                  + (last == null ? "" : ": " + last.getMessage()),
              last);
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Kafka", e);
    }
  }
}
