package dev.waybill.spring;

import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestKafka;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts a test application as {@code main} would, on a real PostgreSQL database and Kafka broker.
 * The tests start and close the context themselves (not through {@code @SpringBootTest}'s context
 * cache) so the relay has stopped before the test database is dropped.
 */
final class TestApps {
  private TestApps() {}

  static ConfigurableApplicationContext start(
      Class<?> application, TestDatabase db, String... arguments) {
    List<String> args = new ArrayList<>();
    args.add("--spring.main.banner-mode=off");
    args.add("--spring.datasource.url=" + db.jdbcUrl());
    args.add("--spring.datasource.username=" + db.user());
    args.add("--spring.datasource.password=" + db.password());
    args.add("--spring.kafka.bootstrap-servers=" + TestKafka.get().bootstrapServers());
    args.addAll(List.of(arguments));
    return new SpringApplicationBuilder(application).run(args.toArray(String[]::new));
  }

  /** A new topic of two partitions, named {@code prefix} and a random suffix. */
  static String newTopic(String prefix) {
    String topic = prefix + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 2);
    return topic;
  }

  /** Closes the application (its relay stops), then drops the database; either may be null. */
  static void stop(ConfigurableApplicationContext context, TestDatabase db) {
    try {
      if (context != null) {
        context.close();
      }
    } finally {
      if (db != null) {
        db.close();
      }
    }
  }
}
