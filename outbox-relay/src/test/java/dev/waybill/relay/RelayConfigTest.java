package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.outbox.config.ConfigException;
import dev.waybill.outbox.config.Setting;
import dev.waybill.outbox.config.Settings;
import dev.waybill.outbox.config.SettingsSources;
import dev.waybill.testkit.KafkaPasswords;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay's settings: reading, ranges, unknown keys, secrets, documentation. */
public class RelayConfigTest {

  /**
   * The settings a relay needs at least.
   *
   * @return a modifiable map of them
   */
  public static Map<String, String> required() {
    Map<String, String> m = new HashMap<>();
    m.put("db.url", "jdbc:postgresql://db:5432/app");
    m.put("db.user", "app");
    m.put("db.password", "s3cret");
    m.put("kafka.bootstrap.servers", "kafka:9092");
    return m;
  }

  static List<String> problems(Map<String, String> settings) {
    try {
      RelayConfig.read(Settings.of(settings));
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  @Test
  void readsTheDefaultsAndPassesKafkaSettingsThrough() {
    Map<String, String> m = required();
    m.put("kafka.security.protocol", "SASL_SSL");
    m.put("kafka.sasl.jaas.config", "org.apache.kafka... password=\"p\";");
    RelayConfig c = RelayConfig.read(Settings.of(m));
    assertThat(c.shards()).isEqualTo(64);
    assertThat(c.batchSize()).isEqualTo(1000);
    assertThat(c.leaseTtl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.failureMode()).isEqualTo(FailureMode.PARK);
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.kafka())
        .containsEntry("bootstrap.servers", "kafka:9092")
        .containsEntry("security.protocol", "SASL_SSL");
    assertThat(c.instanceId()).isNotBlank();
    assertThat(c.toString())
        .contains("shards=64")
        .contains("sasl.jaas.config=***")
        .doesNotContain("s3cret")
        .doesNotContain("password=\"p\"");
  }

  @Test
  void httpHostDefaultsToEveryInterfaceAndIsChecked() {
    assertThat(RelayConfig.read(Settings.of(required())).httpHost()).isEqualTo("0.0.0.0");
    Map<String, String> m = required();
    m.put("http.host", "127.0.0.1");
    assertThat(RelayConfig.read(Settings.of(m)).httpHost()).isEqualTo("127.0.0.1");
    m.put("http.host", "127.0.0.1 evil");
    assertThat(problems(m))
        .containsExactly(
            "'127.0.0.1 evil' → http.host → expected an IP address or host name, e.g. 0.0.0.0 or"
                + " 127.0.0.1");
  }

  @Test
  void requiresDatabaseAndKafkaSettings() {
    assertThat(problems(Map.of()))
        .contains(
            "(missing) → db.url → required: set it in the config file, with --set db.url=... or"
                + " as environment variable WAYBILL_DB_URL",
            "(missing) → kafka.bootstrap.servers → required: set it in the config file, with"
                + " --set kafka.bootstrap.servers=... or as environment variable"
                + " WAYBILL_KAFKA_BOOTSTRAP_SERVERS");
  }

  @Test
  void eachRangeRuleHasItsMessage() {
    Map<String, String> m = required();
    m.put("relay.shards", "0");
    m.put("relay.batch.size", "100000");
    m.put("relay.poll.interval", "1ms");
    m.put("relay.retry.max.attempts", "zero");
    m.put("http.port", "70000");
    m.put("relay.failure.mode", "explode");
    assertThat(problems(m))
        .containsExactlyInAnyOrder(
            "'0' → relay.shards → expected a number from 1 to 1024",
            "'100000' → relay.batch.size → expected a number from 1 to 10000",
            "'1ms' → relay.poll.interval → expected a duration from 10ms to 5m",
            "'zero' → relay.retry.max.attempts → expected a whole number",
            "'70000' → http.port → expected a number from -1 to 65535",
            "'explode' → relay.failure.mode → expected park or skip");
  }

  @Test
  void leaseTimingsMustLetARelayStopBeforeItsLeaseExpires() {
    Map<String, String> m = required();
    m.put("relay.lease.ttl", "10s");
    m.put("relay.lease.renew.interval", "5s");
    m.put("relay.send.timeout", "10s");
    assertThat(problems(m))
        .containsExactlyInAnyOrder(
            "'PT10S' → relay.lease.ttl → must be at least 3 × relay.lease.renew.interval (PT5S)"
                + " so a healthy relay never loses a lease between renewals",
            "'PT10S' → relay.lease.ttl → must exceed relay.send.timeout + kafka.max.block.ms"
                + " (PT3.333S) + relay.lease.renew.interval + 1s (PT19.333S): a relay that cannot"
                + " renew stops sending, and its last sends must end before the lease expires");
  }

  @Test
  void aLongProducerBlockCountsAgainstTheLease() {
    Map<String, String> m = required();
    m.put("kafka.max.block.ms", "60000"); // 60 s + 10 s send timeout + 3 s renewal > 30 s
    assertThat(problems(m))
        .containsExactly(
            "'PT30S' → relay.lease.ttl → must exceed relay.send.timeout + kafka.max.block.ms"
                + " (PT1M) + relay.lease.renew.interval + 1s (PT1M14S): a relay that cannot"
                + " renew stops sending, and its last sends must end before the lease expires");
    m.put("kafka.max.block.ms", "2000");
    assertThat(problems(m)).isEmpty();
  }

  @Test
  void refusesProducerSettingsThatBreakTheGuarantees() {
    Map<String, String> m = required();
    m.put("kafka.acks", "1");
    m.put("kafka.enable.idempotence", "false");
    m.put("kafka.max.in.flight.requests.per.connection", "5");
    m.put("kafka.delivery.timeout.ms", "120000");
    m.put("kafka.transactional.id", "x");
    assertThat(problems(m))
        .containsExactlyInAnyOrder(
            "'1' → kafka.acks → must be all: with fewer acknowledgements a broker failure can"
                + " lose a message the relay already deleted",
            "'false' → kafka.enable.idempotence → must be true: producer retries would otherwise"
                + " duplicate and reorder messages of a key",
            "'5' → kafka.max.in.flight.requests.per.connection → must be 1: after a failed send"
                + " the relay stops the producer before any later message of the partition is"
                + " written, which needs one request in flight",
            "'120000' → kafka.delivery.timeout.ms → set relay.send.timeout instead (the lease"
                + " rules depend on it)",
            "'x' → kafka.transactional.id → is set by the relay; remove it");
  }

  @Test
  void reportsUnknownKeysOfEveryFamilyAtOnceNamingTheNearestKey() {
    Map<String, String> m = required();
    m.put("relay.batchsize", "10");
    m.put("db.ulr", "x");
    m.put("kafka.anything.goes", "y");
    m.put("kafka.security.protocl", "SASL_SSL");
    m.put("kafka.ssl.keystore.pasword", SECRET);
    List<String> problems = problems(m);
    assertThat(problems)
        .containsExactlyInAnyOrder(
            "(unknown) → db.ulr → not a setting; did you mean db.url? (see docs/configuration.md)",
            "(unknown) → relay.batchsize → not a setting; did you mean relay.batch.size? (see"
                + " docs/configuration.md)",
            "(unknown) → kafka.anything.goes → not a setting of the Kafka producer or admin"
                + " client (see docs/configuration.md)",
            "(unknown) → kafka.security.protocl → not a setting of the Kafka producer or admin"
                + " client; did you mean kafka.security.protocol? (see docs/configuration.md)",
            "(unknown) → kafka.ssl.keystore.pasword → not a setting of the Kafka producer or admin"
                + " client; did you mean kafka.ssl.keystore.password? (see"
                + " docs/configuration.md)");
    assertThat(String.join("\n", problems)).doesNotContain(SECRET);
  }

  @Test
  void anEmbeddedRelayRefusesAnUnknownKafkaKeyToo() {
    assertThatThrownBy(
            () ->
                RelayConfig.builder()
                    .bootstrapServers("kafka:9092")
                    .kafka("security.protocl", "SASL_SSL")
                    .build())
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactly(
                        "(unknown) → kafka.security.protocl → not a setting of the Kafka producer"
                            + " or admin client; did you mean kafka.security.protocol? (see"
                            + " docs/configuration.md)"));
  }

  static final String SECRET = "S3cret-value";

  @Test
  void everyPasswordOfTheKafkaClientsIsMaskedInTheStartupSummary() {
    Map<String, String> m = required();
    Set<String> passwords = KafkaPasswords.keys();
    assertThat(passwords).contains("ssl.keystore.key", "sasl.jaas.config");
    passwords.forEach(k -> m.put("kafka." + k, SECRET + "-" + k));
    m.put("kafka.compression.type", "lz4");
    RelayConfig c = RelayConfig.read(Settings.of(m));
    assertThat(c.kafka()).containsEntry("ssl.keystore.key", SECRET + "-ssl.keystore.key");
    String line = c.toString();
    assertThat(line).doesNotContain(SECRET).contains("compression.type=lz4");
    passwords.forEach(k -> assertThat(line).contains(k + "=***"));
    assertThat(c.kafkaForDisplay().toString()).doesNotContain(SECRET);
  }

  @Test
  void kafkaAndDatabaseSecretsAreReadFromFiles(@TempDir Path dir) throws Exception {
    Path jaas = Files.writeString(dir.resolve("jaas"), "org.example.Login required;\n");
    Path pw = Files.writeString(dir.resolve("pw"), SECRET + "\n");
    Map<String, String> m = required();
    m.remove("db.password");
    m.put("db.password.file", pw.toString());
    m.put("kafka.sasl.jaas.config.file", jaas.toString());
    RelayConfig c = RelayConfig.read(Settings.of(m));
    assertThat(c.database().password()).isEqualTo(SECRET);
    assertThat(c.kafka())
        .containsEntry("sasl.jaas.config", "org.example.Login required;")
        .doesNotContainKey("sasl.jaas.config.file");
    m.put("kafka.sasl.jaas.config", "inline");
    m.put("kafka.ssl.key.password.file", dir.resolve("missing").toString());
    assertThat(problems(m))
        .containsExactlyInAnyOrder(
            "(secret) → kafka.sasl.jaas.config and kafka.sasl.jaas.config.file → both set: give"
                + " the value or the file that holds it, not both",
            "'"
                + dir.resolve("missing")
                + "' → kafka.ssl.key.password.file → cannot be read (NoSuchFileException): give"
                + " the path of a readable file holding the value, e.g. a mounted secret");
  }

  @Test
  void aMisspeltEnvironmentVariableFailsNamingTheSettingItResembles() {
    Map<String, String> env = new HashMap<>();
    env.put("WAYBILL_DB_URL", "jdbc:postgresql://db:5432/app");
    env.put("WAYBILL_DB_USER", "app");
    env.put("WAYBILL_DB_PASSWORD", "s3cret");
    env.put("WAYBILL_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092");
    env.put("WAYBILL_KAFKA_COMPRESSION_TYPE", "lz4"); // pass-through
    env.put("WAYBILL_TEST_PG_URL", "jdbc:postgresql://ci/test"); // what CI exports
    env.put("WAYBILL_INBOX_GROUP_ID", "billing"); // the consumer's, in a shared environment
    Settings fine =
        SettingsSources.load(null, List.of(), env, RelayConfig.allSettings(), List.of("kafka."));
    assertThat(RelayConfig.read(fine).batchSize()).isEqualTo(1000);
    env.put("WAYBILL_RELAY_BACH_SIZE", "10");
    env.put("WAYBILL_HTTP_PROT", "9090");
    Settings typos =
        SettingsSources.load(null, List.of(), env, RelayConfig.allSettings(), List.of("kafka."));
    assertThatThrownBy(() -> RelayConfig.read(typos))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .containsExactlyInAnyOrder(
                        "(environment) → WAYBILL_HTTP_PROT → not the environment variable of a"
                            + " setting; did you mean WAYBILL_HTTP_PORT? (see"
                            + " docs/configuration.md)",
                        "(environment) → WAYBILL_RELAY_BACH_SIZE → not the environment variable"
                            + " of a setting; did you mean WAYBILL_RELAY_BATCH_SIZE? (see"
                            + " docs/configuration.md)"));
  }

  @Test
  void everyRelaySettingIsDocumentedAsDeclared() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
    for (Setting<?> s : RelayConfig.SETTINGS) {
      String row = s.markdownRow();
      assertThat(doc).as("row for %s; expected:%n%s", s.key(), row).contains(row);
    }
  }

  @Test
  void everyDocumentedRelaySettingIsDeclaredAndDocumentedOnce() throws Exception {
    Set<String> declared = new TreeSet<>();
    RelayConfig.SETTINGS.forEach(s -> declared.add(s.key()));
    Pattern row = Pattern.compile("^\\| `([^`]+)` \\| `WAYBILL_[A-Z0-9_]+` \\|");
    List<String> documented = new ArrayList<>();
    for (String line : Files.readString(Path.of("..", "docs", "configuration.md")).split("\n")) {
      Matcher m = row.matcher(line);
      if (m.find()
          && List.of("relay.", "http.", "kafka.").stream().anyMatch(m.group(1)::startsWith)) {
        documented.add(m.group(1));
      }
    }
    assertThat(documented)
        .as("rows of relay.*, http.* and kafka.* settings in docs/configuration.md")
        .doesNotHaveDuplicates()
        .allSatisfy(
            k ->
                assertThat(declared)
                    .as("'%s' has a row in docs/configuration.md but is not a setting", k)
                    .contains(k));
  }

  @Test
  void cdcSettingsAreValidatedWithTheirOwnMessages() {
    Map<String, String> m = required();
    m.put("relay.mode", "cdc");
    RelayConfig c = RelayConfig.read(Settings.of(m));
    assertThat(c.mode()).isEqualTo(RelayConfig.RelayMode.CDC);
    assertThat(c.cdc()).isEqualTo(RelayConfig.CdcConfig.defaults());
    assertThat(c.toString()).contains("mode=cdc").contains("slot=waybill_outbox");
    m.put("relay.mode", "stream");
    m.put("relay.cdc.slot", "Bad-Slot");
    m.put("relay.cdc.publication", "drop table");
    m.put("outbox.write.mode", "wal");
    assertThat(problems(m))
        .contains(
            "'stream' → relay.mode → expected polling or cdc",
            "'wal' → outbox.write.mode → expected table or message")
        .anyMatch(
            p ->
                p.startsWith(
                    "'Bad-Slot' → relay.cdc.slot → relay.cdc.slot 'Bad-Slot' is not a valid replication slot name"))
        .anyMatch(p -> p.startsWith("'drop table' → relay.cdc.publication → expected a name"));
    Map<String, String> maria = required();
    maria.put("db.url", "jdbc:mariadb://db:3306/app");
    maria.put("relay.mode", "cdc");
    assertThat(problems(maria))
        .containsExactly(
            "'cdc' → relay.mode → needs PostgreSQL (logical decoding); db.url is not a"
                + " jdbc:postgresql: URL. Use relay.mode=polling on this database.");
  }

  @Test
  void theByteBoundIsAutoByDefaultAndDerivedFromTheHeap() {
    RelayConfig c = RelayConfig.read(Settings.of(required()));
    assertThat(c.batchMaxBytes()).isEqualTo(Setting.AUTO);
    long room = Runtime.getRuntime().maxMemory() - 32L * 1024 * 1024;
    assertThat(c.effectiveBatchMaxBytes()).isEqualTo(Math.max(256 * 1024, room / 16));
    assertThat(c.toString()).contains("batchMaxBytes=auto:" + c.effectiveBatchMaxBytes());
    Map<String, String> m = required();
    m.put("relay.batch.max.bytes", "8MB");
    assertThat(RelayConfig.read(Settings.of(m)).effectiveBatchMaxBytes()).isEqualTo(8L << 20);
  }

  @Test
  void aByteBoundThatIsNotASizeIsRefused() {
    Map<String, String> m = required();
    m.put("relay.batch.max.bytes", "lots");
    assertThat(problems(m))
        .contains(
            "'lots' → relay.batch.max.bytes → expected a size such as 8388608, 900kB, 32MB or"
                + " auto");
    m.put("relay.batch.max.bytes", "1kB");
    assertThat(problems(m))
        .contains("'1kB' → relay.batch.max.bytes → expected a size from 64kB to 16GB or auto");
    assertThatThrownBy(
            () -> RelayConfig.builder().bootstrapServers("kafka:9092").batchMaxBytes(1000).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "'1000' → relay.batch.max.bytes → expected a size from 64kB to 16GB or auto");
  }

  @Test
  void aByteBoundThatDoesNotFitTheHeapIsRefusedAtStart() {
    long heap = Runtime.getRuntime().maxMemory();
    long tooLarge = ((heap - (32L << 20)) / 4 / (1 << 20) + 1) << 20; // whole MB, above 1/4
    Map<String, String> m = required();
    m.put("relay.batch.max.bytes", (tooLarge >> 20) + "MB");
    assertThat(problems(m))
        .singleElement()
        .asString()
        .startsWith(
            "'" + (tooLarge >> 20) + "MB' → relay.batch.max.bytes → does not fit the heap (")
        .contains("lower it, use auto, or give the JVM more heap");
    m.put("relay.batch.max.bytes", "auto");
    m.put("outbox.message.max.bytes", Long.toString(Math.min(256L << 20, heap)));
    m.put("kafka.buffer.memory", Long.toString(heap / 2 + 1));
    assertThat(problems(m))
        .singleElement()
        .asString()
        .startsWith("'" + (heap / 2 + 1) + "' → kafka.buffer.memory → takes more than half of");
    m.remove("kafka.buffer.memory");
    if (Math.min(256L << 20, heap) > (heap - (32L << 20)) / 4) { // true below a 1 GB heap
      assertThat(problems(m))
          .singleElement()
          .asString()
          .contains("→ outbox.message.max.bytes → a message this large does not fit the heap");
    }
  }
}
