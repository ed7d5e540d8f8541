package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.testkit.KafkaPasswords;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inbox consumer with every password-typed key of the Kafka clients set (the broker is plain
 * text, so the clients never use them): its start-up summary lists them masked, and no value
 * reaches a log line, the Kafka clients' own included.
 */
class InboxSecretsIT {
  static final String SECRET = "S3cret-";

  @TempDir Path dir;

  @Test
  void theStartupSummaryMasksEveryKafkaPassword() throws Exception {
    try (ConsumerFixture f =
            new ConsumerFixture(TestDatabases.postgres(), "n BIGSERIAL PRIMARY KEY");
        LogLines waybill = LogLines.of("dev.waybill", Level.INFO);
        LogLines kafkaClients = LogLines.of("org.apache.kafka", Level.INFO)) {
      Map<String, Object> passwords = new HashMap<>();
      for (String k : KafkaPasswords.keys()) {
        passwords.put(k, SECRET + k);
      }
      passwords.remove("sasl.jaas.config");
      Path jaas = Files.writeString(dir.resolve("jaas"), SECRET + "jaas\n");
      passwords.put("sasl.jaas.config.file", jaas.toString());
      String topic = f.topic(1);
      InboxConsumer c =
          f.start(
              f.builder(ConsumerFixture.group(), topic, b -> {})
                  .kafka(passwords)
                  .defaultHandler(ConsumerFixture.recording()));
      await().atMost(Duration.ofSeconds(30)).until(c::isRunning);
      c.close();
      String summary =
          waybill.atLeast(Level.INFO).stream()
              .filter(l -> l.contains(": started;"))
              .findFirst()
              .orElseThrow();
      KafkaPasswords.keys().forEach(k -> assertThat(summary).contains(k + "=***"));
      List<String> lines = new ArrayList<>(waybill.atLeast(Level.INFO));
      lines.addAll(kafkaClients.atLeast(Level.INFO));
      assertThat(lines).isNotEmpty().allSatisfy(l -> assertThat(l).doesNotContain(SECRET));
    }
  }
}
