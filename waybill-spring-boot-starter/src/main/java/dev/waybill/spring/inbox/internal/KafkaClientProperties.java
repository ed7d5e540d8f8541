package dev.waybill.spring.inbox.internal;

import dev.waybill.spring.internal.PropertyNames;
import dev.waybill.spring.internal.SpringSettings;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The Kafka client properties of the inbox consumers: Spring Boot's {@code spring.kafka.*} consumer
 * properties (servers, security, client settings), then {@code waybill.kafka.*} on top, without the
 * ones the inbox sets itself. Not API.
 */
public final class KafkaClientProperties implements Supplier<Map<String, Object>> {
  private static final String BOOT_KAFKA =
      "org.springframework.boot.kafka.autoconfigure.KafkaProperties";

  /** Set by the inbox consumer (group from the inbox settings, bytes, manual commits). */
  static final List<String> OWN_KEYS =
      List.of("group.id", "key.deserializer", "value.deserializer", "enable.auto.commit");

  private final BeanFactory beans;
  private final Environment environment;

  /**
   * @param beans where Spring Boot's {@code KafkaProperties} are looked up
   * @param environment where {@code waybill.kafka.*} are read
   */
  public KafkaClientProperties(BeanFactory beans, Environment environment) {
    this.beans = beans;
    this.environment = environment;
  }

  @Override
  public Map<String, Object> get() {
    Map<String, Object> props = new LinkedHashMap<>();
    if (ClassUtils.isPresent(BOOT_KAFKA, getClass().getClassLoader())) {
      props.putAll(Boot.consumerProperties(beans));
    }
    var waybill = SpringSettings.read(environment, List.of(), true);
    for (String key : waybill.keys()) {
      waybill.raw(key).ifPresent(v -> props.put(key.substring(PropertyNames.KAFKA.length()), v));
    }
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
