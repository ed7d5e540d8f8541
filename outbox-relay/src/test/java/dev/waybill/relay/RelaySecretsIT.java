package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.config.SettingsSources;
import dev.waybill.relay.cli.RelayMain;
import dev.waybill.testkit.KafkaPasswords;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No value that a Kafka client declares a password, and no database password, reaches the relay's
 * start-up line, its logs, {@code status}, {@code status --json} or its configuration errors. Every
 * password-typed key of the producer, consumer and admin client is set, each to a value of its own
 * (the broker is plain text, so the clients never use them).
 */
class RelaySecretsIT {
  static final String SECRET = "S3cret-";

  @TempDir Path dir;
  TestDatabase db;
  LogLines waybill;
  LogLines kafkaClients;

  @BeforeEach
  void setUp() {
    db = TestDatabases.postgres();
    waybill = LogLines.of("dev.waybill", Level.INFO); // the start-up line
    kafkaClients = LogLines.of("org.apache.kafka", Level.INFO); // the clients' own settings dump
  }

  @AfterEach
  void tearDown() {
    waybill.close();
    kafkaClients.close();
    db.close();
  }

  /** {@code --set} flags: the database, the broker and every Kafka password, two from files. */
  List<String> flags() throws Exception {
    List<String> sets = new ArrayList<>();
    sets.addAll(List.of("--set", "db.url=" + db.jdbcUrl(), "--set", "db.user=" + db.user()));
    Path pw = Files.writeString(dir.resolve("db-password"), db.password() + "\n");
    sets.addAll(List.of("--set", "db.password.file=" + pw));
    sets.addAll(List.of("--set", "kafka.bootstrap.servers=" + TestKafka.get().bootstrapServers()));
    for (String k : KafkaPasswords.keys()) {
      if (k.equals("sasl.jaas.config")) {
        Path jaas = Files.writeString(dir.resolve("jaas"), SECRET + k + "\n");
        sets.addAll(List.of("--set", "kafka." + k + ".file=" + jaas));
      } else {
        sets.addAll(List.of("--set", "kafka." + k + "=" + SECRET + k));
      }
    }
    return sets;
  }

  record Run(int exit, String out, String err) {}

  static Run relayMain(List<String> args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RelayMain.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  static List<String> with(List<String> args, String... more) {
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of(more));
    return all;
  }

  String logs() {
    List<String> lines = new ArrayList<>(waybill.atLeast(Level.INFO));
    lines.addAll(kafkaClients.atLeast(Level.INFO));
    return String.join("\n", lines);
  }

  @Test
  void noKafkaPasswordAppearsInTheStartupLineTheLogsOrStatus() throws Exception {
    List<String> flags = flags();
    Run migrate = relayMain(with(List.of("migrate"), flags.toArray(String[]::new)));
    assertThat(migrate.exit()).as(migrate.err()).isZero();

    List<String> sets = new ArrayList<>();
    for (int i = 1; i < flags.size(); i += 2) {
      sets.add(flags.get(i));
    }
    sets.add("relay.instance.id=secrets-relay");
    RelayConfig config =
        RelayConfig.read(
            SettingsSources.load(
                null, sets, Map.of(), RelayConfig.allSettings(), List.of("kafka.")));
    assertThat(config.kafka()).containsEntry("sasl.jaas.config", SECRET + "sasl.jaas.config");
    try (Relay relay =
        Relay.builder()
            .config(config)
            .dataSource(db.dataSource())
            .meterRegistry(new SimpleMeterRegistry())
            .build()) {
      relay.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> logs().contains("relay secrets-relay started"));
    }
    String startup =
        waybill.atLeast(Level.INFO).stream()
            .filter(m -> m.contains("relay secrets-relay started"))
            .findFirst()
            .orElseThrow();
    KafkaPasswords.keys().forEach(k -> assertThat(startup).contains(k + "=***"));

    Run status = relayMain(with(List.of("status"), flags.toArray(String[]::new)));
    Run json = relayMain(with(List.of("status", "--json"), flags.toArray(String[]::new)));
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(json.exit()).as(json.err()).isZero();
    assertThat(json.out()).contains("\"pending\":0");
    for (String shown :
        List.of(logs(), status.out(), status.err(), json.out(), json.err(), migrate.out())) {
      assertThat(shown).doesNotContain(SECRET);
    }
  }

  @Test
  void configurationErrorsNameSecretKeysButNeverTheirValues() throws Exception {
    List<String> flags = flags();
    Run typos =
        relayMain(
            with(
                List.of("run"),
                with(
                        flags,
                        "--set",
                        "kafka.ssl.keystore.pasword=" + SECRET + "typo",
                        "--set",
                        "kafka.security.protocl=SASL_SSL",
                        "--set",
                        "kafka.ssl.truststore.location.file=" + dir.resolve("missing"),
                        "--set",
                        "kafka.ssl.keystore.key.file=" + dir.resolve("jaas"))
                    .toArray(String[]::new)));
    assertThat(typos.exit()).isEqualTo(2);
    assertThat(typos.err())
        .contains("did you mean kafka.ssl.keystore.password?")
        .contains("did you mean kafka.security.protocol?")
        .contains("→ kafka.ssl.truststore.location.file → cannot be read")
        .contains("kafka.ssl.keystore.key and kafka.ssl.keystore.key.file → both set");

    Run bare = relayMain(with(List.of("run"), "--set", SECRET + "bare"));
    assertThat(bare.exit()).isEqualTo(2);
    assertThat(bare.err()).contains("--set → expected key=value");

    Run status = relayMain(with(List.of("status"), "--set", SECRET + "bare"));
    assertThat(status.exit()).isEqualTo(2);
    for (String shown :
        List.of(logs(), typos.out(), typos.err(), bare.err(), status.out(), status.err())) {
      assertThat(shown).doesNotContain(SECRET);
    }
  }
}
