package dev.waybill.examples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The orders application: {@link OrderService} places orders with {@code JdbcTemplate} in Spring
 * transactions and writes their events through the outbox in the same transaction; the starter's
 * embedded relay publishes them to Kafka; {@link Billing} applies each event once. Database and
 * Kafka addresses come from {@code application.properties} or the environment ({@code
 * SPRING_DATASOURCE_URL}, {@code SPRING_KAFKA_BOOTSTRAP_SERVERS}, ...).
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class OrdersApplication {

  /** Runs the application until it is stopped. */
  public static void main(String[] args) {
    SpringApplication.run(OrdersApplication.class, args);
  }
}
