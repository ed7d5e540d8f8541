package dev.waybill.testkit;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The settings the Kafka clients themselves declare secret, for tests that set every one of them
 * and check that none of their values is shown.
 */
public final class KafkaPasswords {
  private KafkaPasswords() {}

  /**
   * Every key whose {@code ConfigDef} type is {@code PASSWORD} in the producer, consumer or admin
   * client configuration of the Kafka clients on the classpath.
   *
   * @return the keys, sorted, without any prefix
   */
  public static Set<String> keys() {
    Set<String> keys = new TreeSet<>();
    for (ConfigDef d :
        List.of(
            ProducerConfig.configDef(),
            ConsumerConfig.configDef(),
            AdminClientConfig.configDef())) {
      d.configKeys().values().stream()
          .filter(k -> k.type == ConfigDef.Type.PASSWORD)
          .forEach(k -> keys.add(k.name));
    }
    return keys;
  }
}
