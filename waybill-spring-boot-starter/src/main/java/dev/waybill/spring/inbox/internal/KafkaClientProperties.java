package dev.waybill.spring.inbox.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.util.ClassUtils;

/**
 * The Kafka client properties of the inbox consumers: Spring Boot's {@code spring.kafka.*} consumer
 * properties (servers, security, client settings) without the ones the inbox sets itself. Not API.
 */
public final class KafkaClientProperties implements Supplier<Map<String, Object>> {
  private static final String BOOT_KAFKA =
      "org.springframework.boot.kafka.autoconfigure.KafkaProperties";

  /** Set by the inbox consumer (group from the inbox settings, bytes, manual commits). */
  static final List<String> OWN_KEYS =
      List.of("group.id", "key.deserializer", "value.deserializer", "enable.auto.commit");

  private final BeanFactory beans;

  /**
   * @param beans where Spring Boot's {@code KafkaProperties} are looked up
   */
  public KafkaClientProperties(BeanFactory beans) {
    this.beans = beans;
  }

  @Override
  public Map<String, Object> get() {
    if (!ClassUtils.isPresent(BOOT_KAFKA, getClass().getClassLoader())) {
      throw new IllegalStateException(
          "inbox handlers need Kafka: add spring-boot-starter-kafka and set"
              + " spring.kafka.bootstrap-servers");
    }
    Map<String, Object> props = new LinkedHashMap<>(Boot.consumerProperties(beans));
    OWN_KEYS.forEach(props::remove);
    return props;
  }

  /** Touches Spring Boot's Kafka classes only when they are there. */
  private static final class Boot {
    static Map<String, Object> consumerProperties(BeanFactory beans) {
      return beans
          .getBeanProvider(org.springframework.boot.kafka.autoconfigure.KafkaProperties.class)
          .getIfAvailable(org.springframework.boot.kafka.autoconfigure.KafkaProperties::new)
          .buildConsumerProperties();
    }
  }
}
