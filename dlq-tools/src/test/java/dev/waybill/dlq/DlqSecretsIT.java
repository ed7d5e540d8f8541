package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.KafkaPasswords;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DLQ tool with every password-typed key of the Kafka consumer, producer and admin client in
 * its {@code --command-config} file, and with a database password from a file: its output and its
 * errors show none of the values, a misspelt client key fails with the nearest name, and a bare
 * {@code --set} value is not echoed.
 */
class DlqSecretsIT {
  static final String SECRET = "S3cret-";

  @TempDir Path dir;

  record Run(int exit, String out, String err) {
    String all() {
      return out + err;
    }
  }

  static Run dlq(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = DlqMain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** Every password key with a value of its own; sasl.jaas.config through its .file variant. */
  Path commandConfig(String... extraLines) throws Exception {
    StringBuilder b = new StringBuilder();
    for (String k : KafkaPasswords.keys()) {
      if (k.equals("sasl.jaas.config")) {
        Path jaas = Files.writeString(dir.resolve("jaas"), SECRET + k + "\n");
        b.append(k).append(".file=").append(jaas).append('\n');
      } else {
        b.append(k).append('=').append(SECRET).append(k).append('\n');
      }
    }
    for (String line : extraLines) {
      b.append(line).append('\n');
    }
    return Files.writeString(dir.resolve("client-" + UUID.randomUUID() + ".properties"), b);
  }

  @Test
  void kafkaCommandsWithEveryClientPasswordShowNoneOfThem() throws Exception {
    String dlt = "secrets-" + UUID.randomUUID().toString().substring(0, 8) + ".DLT";
    TestKafka.get().createTopic(dlt, 1);
    String bootstrap = TestKafka.get().bootstrapServers();
    Path config = commandConfig();
    Run list =
        dlq("list", dlt, "--bootstrap-server", bootstrap, "--command-config", config.toString());
    Run groups =
        dlq("groups", dlt, "--bootstrap-server", bootstrap, "--command-config", config.toString());
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(groups.exit()).as(groups.err()).isZero();
    assertThat(list.all() + groups.all()).doesNotContain(SECRET);
  }

  @Test
  void aMisspeltClientKeyFailsWithTheNearestNameAndNoSecretValue() throws Exception {
    Path config =
        commandConfig(
            "security.protocl=SASL_SSL",
            "ssl.keystore.pasword=" + SECRET + "typo",
            "ssl.key.password.file=" + dir.resolve("missing"));
    Run run =
        dlq(
            "list",
            "orders.DLT",
            "--bootstrap-server",
            TestKafka.get().bootstrapServers(),
            "--command-config",
            config.toString());
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err())
        .contains(
            "(unknown) → security.protocl → not a setting of the Kafka consumer, producer or admin"
                + " client (--command-config); did you mean security.protocol?")
        .contains("did you mean ssl.keystore.password?")
        .contains("ssl.key.password and ssl.key.password.file → both set");
    assertThat(run.all()).doesNotContain(SECRET);
  }

  @Test
  void outboxCommandsReadTheDatabasePasswordFromAFileAndNeverEchoABareSetValue() throws Exception {
    try (TestDatabase db = TestDatabases.postgres()) {
      SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
      Path pw = Files.writeString(dir.resolve("db-password"), db.password() + "\n");
      String[] sets = {
        "--set", "db.url=" + db.jdbcUrl(), "--set", "db.user=" + db.user(),
      };
      Run list =
          dlq(concat(new String[] {"outbox", "list"}, sets, "--set", "db.password.file=" + pw));
      assertThat(list.exit()).as(list.err()).isZero();

      Run bare = dlq(concat(new String[] {"outbox", "list"}, sets, "--set", SECRET + "bare"));
      assertThat(bare.exit()).isEqualTo(2);
      assertThat(bare.err()).contains("--set → expected key=value").doesNotContain(SECRET);

      Run both =
          dlq(
              concat(
                  new String[] {"outbox", "list"},
                  sets,
                  "--set",
                  "db.password=" + SECRET + "inline",
                  "--set",
                  "db.password.file=" + pw,
                  "--set",
                  "db.pasword=" + SECRET + "typo"));
      assertThat(both.exit()).isEqualTo(2);
      assertThat(both.err())
          .contains("db.password and db.password.file → both set")
          .contains("(unknown) → db.pasword → not a setting; did you mean db.password?")
          .doesNotContain(SECRET);
    }
  }

  static String[] concat(String[] head, String[] middle, String... tail) {
    List<String> all = new ArrayList<>(List.of(head));
    all.addAll(List.of(middle));
    all.addAll(List.of(tail));
    return all.toArray(String[]::new);
  }
}
