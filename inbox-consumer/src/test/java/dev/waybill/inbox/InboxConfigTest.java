package dev.waybill.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InboxConfigTest {

  @Test
  void defaultsAreThePublishedConstants() {
    InboxConfig c = InboxConfig.builder().groupId("billing").topics("orders").build();
    assertThat(c.batchEnabled()).isEqualTo(InboxConfig.DEFAULT_BATCH_ENABLED);
    assertThat(c.concurrency()).isEqualTo(InboxConfig.DEFAULT_CONCURRENCY);
    assertThat(c.maxAttempts()).isEqualTo(InboxConfig.DEFAULT_MAX_ATTEMPTS);
    assertThat(c.dedupWindow()).isEqualTo(Duration.ofDays(7));
    assertThat(c.deadLetterTopicFor("orders")).isEqualTo("orders.DLT");
    assertThat(c.missingIdPolicy()).isEqualTo(MissingIdPolicy.DEAD_LETTER);
    assertThat(c.unknownTypePolicy()).isEqualTo(UnknownTypePolicy.DEAD_LETTER);
    assertThat(c.tables().inbox()).isEqualTo("waybill_inbox");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                InboxConfig.builder()
                    .topics("orders", "bad topic!")
                    .concurrency(0)
                    .maxAttempts(0)
                    .backoff(Duration.ofSeconds(10), 0.5, Duration.ofSeconds(1), 1.5)
                    .deadLetterTopic("{topic}")
                    .dedupWindow(Duration.ofSeconds(5))
                    .build())
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anyMatch(p -> p.contains("inbox.group.id"))
                    .anyMatch(p -> p.contains("inbox.topics → 'bad topic!' is not a Kafka topic"))
                    .anyMatch(p -> p.startsWith("'0' → inbox.concurrency"))
                    .anyMatch(p -> p.startsWith("'0' → inbox.retry.max.attempts"))
                    .anyMatch(p -> p.contains("inbox.retry.backoff.max"))
                    .anyMatch(p -> p.contains("inbox.retry.backoff.multiplier"))
                    .anyMatch(p -> p.contains("inbox.retry.backoff.jitter"))
                    .anyMatch(p -> p.contains("a consumed topic"))
                    .anyMatch(p -> p.contains("inbox.dedup.window")));
  }

  @Test
  void anUnknownInboxKeyFailsNamingTheClosestKey() {
    Map<String, String> m =
        Map.of(
            "inbox.group.id", "billing",
            "inbox.topics", "orders",
            "inbox.retry.max.attempt", "3",
            "inbox.concurency", "4",
            "inbox.whatever.this.is", "x",
            "db.url", "jdbc:postgresql://db/app", // another family: not the consumer's business
            "relay.batch.size", "10");
    assertThatThrownBy(() -> InboxConfig.read(Settings.of(m)))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactlyInAnyOrder(
                        "(unknown) → inbox.concurency → not a setting; did you mean"
                            + " inbox.concurrency? (see docs/configuration.md)",
                        "(unknown) → inbox.retry.max.attempt → not a setting; did you mean"
                            + " inbox.retry.max.attempts? (see docs/configuration.md)",
                        "(unknown) → inbox.whatever.this.is → not a setting (see"
                            + " docs/configuration.md)"));
    Settings env =
        Settings.builder()
            .environment(
                Map.of(
                    "WAYBILL_INBOX_GROUP_ID", "billing",
                    "WAYBILL_INBOX_TOPICS", "orders",
                    "WAYBILL_INBOX_ORDRED", "true",
                    "WAYBILL_DB_URL", "jdbc:postgresql://db/app"),
                InboxConfig.SETTINGS,
                List.of())
            .build();
    assertThatThrownBy(() -> InboxConfig.read(env))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "(environment) → WAYBILL_INBOX_ORDRED → not the environment variable of a"
                            + " setting; did you mean WAYBILL_INBOX_ORDERED? (see"
                            + " docs/configuration.md)"));
  }

  @Test
  void toStringShowsEverySetting() {
    String s = InboxConfig.builder().groupId("billing").topics("orders").build().toString();
    for (var component : InboxConfig.class.getRecordComponents()) {
      assertThat(s).contains(component.getName() + "=");
    }
  }

  @Test
  void readsDottedSettingsAndCollectsProblems() {
    InboxConfig c =
        InboxConfig.read(
            Settings.of(
                Map.of(
                    "inbox.group.id", "billing",
                    "inbox.topics", "orders, payments",
                    "inbox.concurrency", "4",
                    "inbox.retry.multiplier", "1.5",
                    "inbox.missing.id", "derive",
                    "inbox.unknown.type", "skip",
                    "inbox.schema", "app",
                    "inbox.dedup.window", "24h")));
    assertThat(c.topics()).containsExactly("orders", "payments");
    assertThat(c.concurrency()).isEqualTo(4);
    assertThat(c.retryMultiplier()).isEqualTo(1.5);
    assertThat(c.missingIdPolicy()).isEqualTo(MissingIdPolicy.DERIVE_FROM_COORDINATES);
    assertThat(c.unknownTypePolicy()).isEqualTo(UnknownTypePolicy.SKIP);
    assertThat(c.tables().inboxTable().sql()).isEqualTo("app.waybill_inbox");
    assertThat(c.dedupWindow()).isEqualTo(Duration.ofHours(24));

    assertThatThrownBy(
            () ->
                InboxConfig.read(
                    Settings.of(
                        Map.of(
                            "inbox.retry.jitter", "2",
                            "inbox.missing.id", "ignore",
                            "inbox.table", "drop table"))))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(5)
                    .anyMatch(p -> p.contains("inbox.group.id"))
                    .anyMatch(p -> p.contains("inbox.topics"))
                    .anyMatch(p -> p.startsWith("'2' → inbox.retry.backoff.jitter"))
                    .anyMatch(p -> p.startsWith("'ignore' → inbox.missing.id"))
                    .anyMatch(p -> p.startsWith("'drop table' → inbox.table")));
  }

  @Test
  void theConsumerBuilderReportsAllItsProblemsAtOnce() {
    assertThatThrownBy(
            () ->
                InboxConsumer.builder()
                    .kafka(Map.of("enable.auto.commit", "true", "group.id", "x"))
                    .config(InboxConfig.builder().groupId("billing").topics("orders").build())
                    .handler("A", (m, tx) -> {})
                    .handler("A", (m, tx) -> {})
                    .build())
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anyMatch(p -> p.contains("registered twice"))
                    .anyMatch(p -> p.contains("dataSource"))
                    .anyMatch(p -> p.contains("bootstrap.servers"))
                    .anyMatch(p -> p.contains("enable.auto.commit"))
                    .anyMatch(p -> p.contains("kafka group.id")));
  }

  @Test
  void anUnknownKafkaPropertyFailsTheBuildNamingTheNearestClientSetting(@TempDir Path dir)
      throws Exception {
    Path jaas = Files.writeString(dir.resolve("jaas"), "S3cret-jaas\n");
    assertThatThrownBy(
            () ->
                InboxConsumer.builder()
                    .config(InboxConfig.builder().groupId("billing").topics("orders").build())
                    .kafka(
                        Map.of(
                            "bootstrap.servers", "kafka:9092",
                            "security.protocl", "SASL_SSL",
                            "sasl.jaas.config.file", jaas.toString(),
                            "sasl.jaas.config", "S3cret-inline"))
                    .producer(Map.of("compresion.type", "lz4"))
                    .kafka(
                        Settings.of(
                            Map.of(
                                "kafka.ssl.keystore.pasword",
                                "S3cret-pw",
                                "kafka.ssl.key.password.file",
                                dir.resolve("none").toString())))
                    .defaultHandler((m, tx) -> {})
                    .build())
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              assertThat(e.problems())
                  .contains(
                      "(unknown) → security.protocl → not a setting of the Kafka consumer or"
                          + " producer; did you mean security.protocol? (see docs/configuration.md)",
                      "(unknown) → compresion.type → not a setting of the Kafka consumer or"
                          + " producer; did you mean compression.type? (see docs/configuration.md)",
                      "(unknown) → kafka.ssl.keystore.pasword → not a setting of the Kafka"
                          + " consumer or producer; did you mean kafka.ssl.keystore.password? (see"
                          + " docs/configuration.md)",
                      "(secret) → sasl.jaas.config and sasl.jaas.config.file → both set: give the"
                          + " value or the file that holds it, not both",
                      "'"
                          + dir.resolve("none")
                          + "' → kafka.ssl.key.password.file → cannot be read"
                          + " (NoSuchFileException): give the path of a readable file holding the"
                          + " value, e.g. a mounted secret");
              assertThat(e.getMessage()).doesNotContain("S3cret");
            });
  }
}
