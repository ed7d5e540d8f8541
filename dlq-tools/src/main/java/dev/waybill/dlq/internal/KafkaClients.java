package dev.waybill.dlq.internal;

import static java.util.stream.Collectors.toMap;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.PassThroughFamily;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka clients built like Kafka's own tools: {@code --bootstrap-server} plus the client properties
 * of {@code --command-config FILE} (TLS, SASL). Consumers never join a group and never commit. Not
 * API.
 */
public final class KafkaClients {
  /**
   * The keys of a {@code --command-config} file: those of the Kafka consumer, producer and admin
   * client, as their {@code ConfigDef}s declare them, without a prefix; {@code KEY.file=PATH} reads
   * a secret from a file, as {@code kafka.*} settings do in the relay.
   */
  public static final PassThroughFamily KEYS =
      PassThroughFamily.kafka(
              "the Kafka consumer, producer or admin client (--command-config)",
              Stream.of(
                      ConsumerConfig.configDef(),
                      ProducerConfig.configDef(),
                      AdminClientConfig.configDef())
                  .flatMap(d -> d.configKeys().values().stream())
                  .collect(
                      toMap(
                          k -> k.name, k -> k.type == ConfigDef.Type.PASSWORD, Boolean::logicalOr)))
          .withPrefix("");

  private final Properties base;

  private KafkaClients(Properties base) {
    this.base = base;
  }

  /**
   * @param bootstrap the brokers, host:port[,host:port]
   * @param commandConfig a properties file of client settings, or null
   * @throws UsageException when the file cannot be read
   */
  public static KafkaClients of(String bootstrap, Path commandConfig) {
    Properties p = new Properties();
    if (commandConfig != null) {
      Properties file = new Properties();
      try (InputStream in = Files.newInputStream(commandConfig)) {
        file.load(in);
      } catch (IOException e) {
        throw new UsageException(
            "'"
                + commandConfig
                + "' → --command-config → cannot be read ("
                + e.getMessage()
                + "): give a readable properties file of Kafka client settings");
      }
      Map<String, String> given = new TreeMap<>();
      file.stringPropertyNames().forEach(k -> given.put(k.trim(), file.getProperty(k)));
      List<String> problems = new ArrayList<>();
      p.putAll(KEYS.resolve(given, v -> v, problems));
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
    }
    if (bootstrap == null || bootstrap.isBlank()) {
      if (p.getProperty("bootstrap.servers") == null) {
        throw new UsageException(
            "(missing) → --bootstrap-server → required: give the brokers as host:port[,host:port]");
      }
    } else {
      p.setProperty("bootstrap.servers", bootstrap);
    }
    return new KafkaClients(p);
  }

  /** The brokers the clients start from ({@code bootstrap.servers}). */
  public String bootstrapServers() {
    return base.getProperty("bootstrap.servers");
  }

  /** The client settings: {@code bootstrap.servers} and those of the command config file. */
  public Map<String, String> settings() {
    Map<String, String> settings = new HashMap<>();
    base.forEach((k, v) -> settings.put(k.toString(), v.toString()));
    return settings;
  }

  /** A consumer of raw bytes that reads committed and uncommitted records and never commits. */
  public KafkaConsumer<byte[], byte[]> consumer(String clientId) {
    Properties p = new Properties();
    p.putAll(base);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return new KafkaConsumer<>(p);
  }

  /** An idempotent {@code acks=all} producer of raw bytes. */
  public KafkaProducer<byte[], byte[]> producer(String clientId) {
    Properties p = new Properties();
    p.putAll(base);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
    return new KafkaProducer<>(p);
  }

  /** An admin client. */
  public Admin admin() {
    Properties p = new Properties();
    p.putAll(base);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "waybill-dlq-admin");
    return Admin.create(p);
  }

  /** Who runs the tool: {@code user@host}, for the audit trail. */
  public static String who() {
    String user = System.getProperty("user.name", "unknown");
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "unknown-host";
    }
    return user + "@" + host;
  }

  /** {@code pid@host} of this process. */
  public static String process() {
    return ManagementFactory.getRuntimeMXBean().getName();
  }
}
