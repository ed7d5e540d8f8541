package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.waybill.testkit.SecuredKafka;
import dev.waybill.testkit.SecuredKafka.Grant;
import dev.waybill.testkit.TopicRecords;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The DLQ tool against a {@code SASL_SSL} listener (SCRAM-SHA-512, a CA made at test time, Kafka's
 * authorizer), its client settings in a {@code --command-config} file as an operator writes it,
 * with exactly the ACLs docs/security.md lists for it.
 */
class SecuredKafkaDlqIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final SecuredKafka kafka = SecuredKafka.get();
  private String dlt;
  private String orders;
  private String state;
  private String user;
  private String password;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void setUp() throws Exception {
    String s = UUID.randomUUID().toString().substring(0, 8);
    orders = "orders-" + s;
    dlt = orders + ".DLT";
    state = "dlq-state-" + s;
    user = "dlq-" + s;
    password = "dlq-pw-" + s;
    kafka.createTopic(orders, 3);
    kafka.createTopic(dlt, 1);
    kafka.createTopic(state, 1);
    kafka.createUser(user, password);
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(
            kafka.clientProperties(SecuredKafka.SUPER_USER, SecuredKafka.SUPER_USER_PASSWORD),
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (int i = 0; i < 3; i++) {
        p.send(
                DeadLetterRecords.waybill(
                    dlt, orders, i, 100 + i, "k" + i, DeadLetterRecords.id(), "{\"n\":" + i + "}"))
            .get();
      }
    }
  }

  /** The DLQ tool's ACLs as docs/security.md lists them, for a redrive to {@code orders}. */
  private void grantDocumentedAcls() {
    kafka.allow(
        user,
        List.of(
            Grant.topic(dlt, AclOperation.READ),
            Grant.topic(orders, AclOperation.WRITE),
            Grant.topic(state, AclOperation.READ),
            Grant.topic(state, AclOperation.WRITE)));
  }

  private Run run(String jaasPassword, String... args) throws Exception {
    Path config = Files.createTempFile(Path.of("target"), "dlq-client-", ".properties");
    Properties p = new Properties();
    p.putAll(kafka.clientSettings(user, jaasPassword));
    p.remove("bootstrap.servers");
    try (OutputStream out = Files.newOutputStream(config)) {
      p.store(out, null);
    }
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(
        List.of(
            "--bootstrap-server",
            kafka.bootstrapServers(),
            "--command-config",
            config.toString(),
            "--state-topic",
            state));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    try {
      int exit =
          DlqMain.execute(new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
      return new Run(exit, out.toString(), err.toString());
    } finally {
      Files.delete(config);
    }
  }

  @Test
  void listsAndRedrivesOverSaslSslWithOnlyTheDocumentedAcls() throws Exception {
    grantDocumentedAcls();
    Run list = run(password, "list", dlt, "--format", "json");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).contains("k0", "k1", "k2");

    Run redrive = run(password, "redrive", dlt, "--format", "json");
    assertThat(redrive.exit()).as(redrive.err()).isZero();
    JsonNode sent = JSON.readTree(redrive.out());
    assertThat(sent.path("sent").asLong()).isEqualTo(3);
    assertThat(
            TopicRecords.readAll(
                kafka.clientProperties(SecuredKafka.SUPER_USER, SecuredKafka.SUPER_USER_PASSWORD),
                orders,
                Duration.ofSeconds(30)))
        .hasSize(3);

    Run audit = run(password, "audit", "--format", "json");
    assertThat(audit.exit()).as(audit.err()).isZero();
    assertThat(audit.out()).contains(dlt);
  }

  @Test
  void aWrongPasswordFailsNamingTheUserAndTheMechanism() throws Exception {
    grantDocumentedAcls();
    Run list = run("not-the-password", "list", dlt);
    assertThat(list.exit()).isEqualTo(1);
    assertThat(list.err())
        .contains("refused to authenticate user '" + user + "'")
        .contains("SASL mechanism SCRAM-SHA-512")
        .contains("--command-config")
        .doesNotContain("not-the-password");
  }

  @Test
  void withoutWriteOnTheTargetTheRedriveFailsWithAnAuthorizationError() throws Exception {
    kafka.allow(
        user,
        List.of(
            Grant.topic(dlt, AclOperation.READ),
            Grant.topic(state, AclOperation.READ),
            Grant.topic(state, AclOperation.WRITE)));
    Run redrive = run(password, "redrive", dlt, "--format", "json");
    assertThat(redrive.exit()).isEqualTo(1);
    assertThat(redrive.err())
        .containsIgnoringCase("not authorized")
        .contains(orders)
        .contains("WRITE on the target topic");
  }
}
