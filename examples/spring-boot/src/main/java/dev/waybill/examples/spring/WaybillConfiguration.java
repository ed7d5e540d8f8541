package dev.waybill.examples.spring;

import dev.waybill.outbox.Outbox;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Waybill's shared beans. */
@Configuration(proxyBeanMethods = false)
public class WaybillConfiguration {

  /** The outbox writer: one per application, thread-safe. */
  @Bean
  Outbox outbox() {
    return Outbox.builder().build();
  }

  /**
   * Where the relay and the consumer register their meters. With {@code
   * spring-boot-starter-actuator} on the class path, Boot provides a registry: remove this bean and
   * the relay's and the consumer's meters show up on {@code /actuator/prometheus}.
   */
  @Bean
  MeterRegistry meterRegistry() {
    return new SimpleMeterRegistry();
  }
}
