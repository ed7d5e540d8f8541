package dev.waybill.testkit;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A real Kafka broker, one per JVM, started on first use and stopped by a JVM shutdown hook.
 *
 * <pre>{@code
 * TestKafka kafka = TestKafka.get();
 * kafka.createTopic("orders", 3);
 * try (var producer = new KafkaProducer<byte[], byte[]>(kafka.producerProperties())) {
 *   ...
 * }
 * }</pre>
 *
 * <p>The broker is, in this order (decided once per JVM):
 *
 * <ol>
 *   <li>an existing broker named by the system property {@code waybill.test.kafka.bootstrap} or the
 *       environment variable {@code WAYBILL_TEST_KAFKA_BOOTSTRAP} (the property wins); if it does
 *       not answer within 15 s, {@link #get()} fails with a message naming the address. Such a
 *       broker cannot be stopped: {@link #stop()} and {@link #start()} throw {@link
 *       UnsupportedOperationException};
 *   <li>a Testcontainers {@code apache/kafka} container when a Docker engine is reachable (set
 *       {@code WAYBILL_TEST_DOCKER=false} to skip the probe); {@link #stop()} pauses it;
 *   <li>an in-process KRaft broker (combined broker and controller, node 1) listening on free ports
 *       of 127.0.0.1, with its log dir under {@code target/waybill-kafka-<hex>} of the working
 *       directory, deleted at JVM exit. It takes about 3 s to start and a few tens of MiB of heap.
 *       While it runs, Kafka's {@code Exit.exit}/{@code Exit.halt} throw instead of ending the JVM.
 * </ol>
 *
 * <p>The in-process broker logs through SLF4J, and at INFO it is chatty. Modules whose tests use it
 * should add {@code src/test/resources/logback-test.xml} such as:
 *
 * <pre>{@code
 * <configuration>
 *   <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
 *     <encoder>
 *       <pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{36} - %msg%n</pattern>
 *     </encoder>
 *   </appender>
 *   <logger name="org.apache.kafka" level="WARN"/>
 *   <logger name="kafka" level="WARN"/>
 *   <logger name="org.apache.zookeeper" level="ERROR"/>
 *   <logger name="state.change.logger" level="ERROR"/>
 *   <logger name="org.testcontainers.dockerclient" level="OFF"/>
 *   <logger name="dev.waybill.testkit" level="INFO"/>
 *   <root level="WARN">
 *     <appender-ref ref="CONSOLE"/>
 *   </root>
 * </configuration>
 * }</pre>
 *
 * <p>Instances are thread-safe.
 */
public final class TestKafka {

  private static final Duration TOPIC_TIMEOUT = Duration.ofSeconds(30);
  private static final Once<TestKafka> INSTANCE = new Once<>(TestKafka::resolve);

  private final KafkaBroker broker;

  private TestKafka(KafkaBroker broker) {
    this.broker = broker;
  }

  /**
   * Returns the JVM's broker, starting it on the first call.
   *
   * @throws IllegalStateException if the configured broker does not answer, or no broker could be
   *     started
   */
  public static TestKafka get() {
    return INSTANCE.get();
  }

  private static TestKafka resolve() {
    String env = "WAYBILL_TEST_KAFKA_BOOTSTRAP";
    String property = "waybill.test.kafka.bootstrap";
    Optional<String> bootstrap = Settings.get(env, property);
    if (bootstrap.isPresent()) {
      return new TestKafka(new ExternalKafka(bootstrap.get(), Settings.name(env, property)));
    }
    if (Docker.available()) {
      return new TestKafka(new ContainerKafka());
    }
    return new TestKafka(InProcessKafka.launch());
  }

  /** Returns the {@code bootstrap.servers} value for clients of this broker. */
  public String bootstrapServers() {
    return broker.bootstrapServers();
  }

  /**
   * Creates a topic with replication factor 1 and waits until every partition has a leader. Does
   * nothing if the topic already exists with that many partitions.
   *
   * @throws IllegalStateException if the topic exists with another partition count, or cannot be
   *     created within 30 s
   */
  public void createTopic(String name, int partitions) {
    createTopic(name, partitions, Map.of());
  }

  /**
   * Creates a topic with replication factor 1 and the given topic configs (for example {@code
   * cleanup.policy=compact}), and waits until every partition has a leader. Does nothing if the
   * topic already exists with that many partitions (its configs are then left as they are).
   *
   * @throws IllegalStateException if the topic exists with another partition count, or cannot be
   *     created within 30 s
   */
  public void createTopic(String name, int partitions, Map<String, String> configs) {
    try (Admin admin = Admin.create(KafkaAdmin.properties(bootstrapServers(), TOPIC_TIMEOUT))) {
      try {
        admin
            .createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs)))
            .all()
            .get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException(
              "could not create topic " + name + ": " + e.getCause(), e.getCause());
        }
      }
      awaitLeaders(admin, name, partitions);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + name, e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("timed out creating topic " + name, e);
    }
  }

  private static void awaitLeaders(Admin admin, String name, int partitions)
      throws InterruptedException {
    long deadline = System.nanoTime() + TOPIC_TIMEOUT.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try {
        TopicDescription description =
            admin
                .describeTopics(List.of(name))
                .allTopicNames()
                .get(TOPIC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .get(name);
        if (description.partitions().size() != partitions) {
          throw new IllegalStateException(
              "topic "
                  + name
                  + " already exists with "
                  + description.partitions().size()
                  + " partitions, not "
                  + partitions);
        }
        if (description.partitions().stream().allMatch(TestKafka::hasLeader)) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException(
              "could not describe topic " + name + ": " + e.getCause(), e.getCause());
        }
        last = e;
      } catch (TimeoutException e) {
        last = e;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException(
        "topic " + name + " has no leader for every partition after " + TOPIC_TIMEOUT, last);
  }

  private static boolean hasLeader(TopicPartitionInfo partition) {
    return partition.leader() != null && !partition.leader().isEmpty();
  }

  /**
   * Returns new producer properties: {@code bootstrap.servers} and byte-array serializers for keys
   * and values. Add acks, idempotence and the like as the test needs.
   */
  public Properties producerProperties() {
    Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    properties.put(
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return properties;
  }

  /**
   * Returns new consumer properties: {@code bootstrap.servers}, {@code group.id}, byte-array
   * deserializers and {@code auto.offset.reset=earliest}.
   */
  public Properties consumerProperties(String groupId) {
    Properties properties = new Properties();
    properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    properties.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    properties.put(
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    properties.put(
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return properties;
  }

  /**
   * Every record of {@code topic} from its beginning to its current end ({@link
   * TopicRecords#readAll}), within 30 s.
   *
   * @param topic the topic
   * @return the records, partition by partition in offset order
   */
  public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    return TopicRecords.readAll(
        consumerProperties("read-all-" + java.util.UUID.randomUUID()),
        topic,
        Duration.ofSeconds(30));
  }

  /**
   * Stops the broker, to simulate an outage. Its data and address are kept, so {@link #start()}
   * brings the same broker back. Does nothing if it is already stopped.
   *
   * @throws UnsupportedOperationException if the broker is an external one
   */
  public void stop() {
    broker.stop();
  }

  /**
   * Starts the broker again after {@link #stop()}, with its data, at the same address, and waits
   * until it answers. Does nothing if it is running.
   *
   * @throws UnsupportedOperationException if the broker is an external one
   * @throws IllegalStateException if the broker does not come back
   */
  public void start() {
    broker.start();
  }

  /** Whether the broker is running, that is not {@link #stop() stopped}. */
  public boolean isRunning() {
    return broker.isRunning();
  }

  /** Describes where the broker comes from. */
  @Override
  public String toString() {
    return "TestKafka[" + broker.describe() + "]";
  }
}
