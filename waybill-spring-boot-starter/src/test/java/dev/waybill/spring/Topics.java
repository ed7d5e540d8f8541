package dev.waybill.spring;

import static org.awaitility.Awaitility.await;

import dev.waybill.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.core.JdbcTemplate;

/** Reads what reached a topic with a real consumer. */
final class Topics {
  private Topics() {}

  /** The record keys of the topic, from its beginning to its current end. */
  static List<String> keys(String topic) {
    return TestKafka.get().readAll(topic).stream()
        .map(r -> new String(Objects.requireNonNull(r.key()), StandardCharsets.UTF_8))
        .toList();
  }

  /**
   * Waits until {@code key} reached the topic and the outbox table is empty, so every committed
   * message has been published: a message that is still absent then was never committed.
   */
  static List<String> keysOnceDrained(String topic, String key, DataSource dataSource) {
    JdbcTemplate jdbc = new JdbcTemplate(dataSource);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                jdbc.queryForObject("SELECT count(*) FROM waybill_outbox", Long.class) == 0
                    && keys(topic).contains(key));
    return keys(topic);
  }
}
