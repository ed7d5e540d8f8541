package dev.waybill.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.waybill.outbox.internal.Json;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.DatabaseRole;
import dev.waybill.testkit.InProcessKafka;
import dev.waybill.testkit.SecuredKafka;
import dev.waybill.testkit.SecuredKafka.Grant;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.acl.AclOperation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code outbox-relay doctor} against real PostgreSQL, MariaDB and Kafka, once per failure it
 * claims to detect, and once on a setup that is right (so it does not cry wolf).
 */
class DoctorIT {
  private final TestKafka kafka = TestKafka.get();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private TestDatabase db;

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (db != null) {
      db.close();
    }
  }

  /** What one doctor run printed (JSON) and returned. */
  record Run(int exit, Map<String, Object> json, String err) {
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> checks() {
      return (List<Map<String, Object>>) json.get("checks");
    }

    Map<String, Object> check(String name) {
      return checks().stream()
          .filter(c -> name.equals(c.get("check")))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no check '" + name + "' in " + json));
    }

    String result(String name) {
      return (String) check(name).get("result");
    }

    List<String> failed() {
      return checks().stream()
          .filter(c -> "failed".equals(c.get("result")))
          .map(c -> c.get("check") + ": " + c.get("detail"))
          .toList();
    }
  }

  private static String hex(int chars) {
    StringBuilder b = new StringBuilder();
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    for (int i = 0; i < chars; i++) {
      b.append(Character.forDigit(r.nextInt(16), 16));
    }
    return b.toString();
  }

  private TestDatabase postgres() throws Exception {
    db = TestDatabases.postgres();
    return db;
  }

  private void migrate() {
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
  }

  private void pending(String topic) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement st =
            c.prepareStatement(
                "INSERT INTO waybill_outbox (topic, msg_key, event_type, payload) VALUES (?, 'k',"
                    + " 'E', ?)")) {
      st.setString(1, topic);
      st.setBytes(2, "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      st.executeUpdate();
    }
  }

  private void sql(String... statements) throws Exception {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      for (String s : statements) {
        st.execute(s);
      }
    }
  }

  private Run doctor(List<String> settings, String... extra) {
    List<String> args = new ArrayList<>(List.of("doctor", "--json"));
    args.addAll(settings);
    args.addAll(List.of(extra));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        RelayMain.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
    assertThat(out.toString()).as("stderr: %s", err).isNotBlank();
    return new Run(exit, Json.parseObject(out.toString().trim()), err.toString());
  }

  private List<String> settings(String... extra) {
    List<String> s = new ArrayList<>(db.settingsFlags());
    s.addAll(List.of("--set", "kafka.bootstrap.servers=" + kafka.bootstrapServers()));
    for (String e : extra) {
      s.addAll(List.of("--set", e));
    }
    return s;
  }

  private static List<String> asRole(DatabaseRole role, String bootstrap, String... extra) {
    List<String> s =
        new ArrayList<>(
            List.of(
                "--set", "db.url=" + role.jdbcUrl(),
                "--set", "db.user=" + role.name(),
                "--set", "db.password=" + role.password(),
                "--set", "kafka.bootstrap.servers=" + bootstrap));
    for (String e : extra) {
      s.addAll(List.of("--set", e));
    }
    return s;
  }

  @Test
  void aRightPollingSetupPassesAndShowsEachTopicsPartitionCount() throws Exception {
    postgres();
    migrate();
    String topic = "doctor-ok-" + hex(6);
    kafka.createTopic(topic, 3);
    pending(topic);
    Run run = doctor(settings());
    assertThat(run.failed()).isEmpty();
    assertThat(run.exit()).isZero();
    assertThat(run.result("reachable")).isEqualTo("ok");
    assertThat(run.result("schema version")).isEqualTo("ok");
    assertThat(run.result("table waybill_relay_lease")).isEqualTo("ok");
    assertThat(run.check("topic " + topic).get("detail").toString()).contains("3 partition(s)");
    assertThat(run.result("write " + topic)).isEqualTo("ok");

    StringWriter out = new StringWriter();
    List<String> args = new ArrayList<>(List.of("doctor"));
    args.addAll(settings());
    int exit =
        RelayMain.execute(
            new PrintWriter(out), new PrintWriter(new StringWriter()), args.toArray(String[]::new));
    assertThat(exit).isZero();
    assertThat(out.toString()).contains("RESULT", "0 failed", "topic " + topic);
  }

  @Test
  void aDatabaseWithoutTheSchemaFailsAndSaysToMigrate() throws Exception {
    postgres();
    Run run = doctor(settings());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.result("schema version")).isEqualTo("failed");
    assertThat(run.check("schema version").get("fix").toString()).contains("outbox-relay migrate");
    assertThat(run.result("table waybill_outbox")).isEqualTo("failed");
    assertThat(run.checks()).noneMatch(c -> "privileges".equals(c.get("group")));
  }

  @Test
  void anOldSchemaVersionFailsNamingBothVersionsAndTheMissingTables() throws Exception {
    postgres();
    migrate();
    sql(
        "DELETE FROM waybill_schema_history WHERE component = 'outbox' AND version = 2",
        "DROP TABLE waybill_relay_lease",
        "DROP TABLE waybill_relay_instance",
        "DROP TABLE waybill_outbox_dead_letter");
    Run run = doctor(settings());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.check("schema version").get("detail").toString())
        .contains("at version 1, this relay needs 2");
    assertThat(run.result("table waybill_relay_lease")).isEqualTo("failed");
    assertThat(run.result("table waybill_outbox")).isEqualTo("ok");
  }

  @Test
  void aTableLackingAColumnTheRelayUsesFailsThoughTheHistorySaysAllIsApplied() throws Exception {
    postgres();
    migrate();
    sql("ALTER TABLE waybill_outbox DROP COLUMN traceparent");
    Run run = doctor(settings());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.result("schema version")).isEqualTo("ok");
    assertThat(run.check("table waybill_outbox").get("detail").toString())
        .contains("lacks column(s) traceparent");
  }

  @Test
  void aPostgresRoleWithoutOneGrantOfTheRelayScriptFailsNamingTheGrant() throws Exception {
    postgres();
    roleMissingAGrant("db/waybill/grants/postgresql/relay.sql");
  }

  @Test
  void aMariaDbUserWithoutOneGrantOfTheRelayScriptFailsNamingTheGrant() throws Exception {
    assumeTrue(TestDatabases.mariadbAvailable(), "MariaDB is not available");
    db = TestDatabases.mariadb();
    roleMissingAGrant("db/waybill/grants/mysql/relay.sql");
  }

  private void roleMissingAGrant(String script) throws Exception {
    migrate();
    DatabaseRole role = DatabaseRole.create(db, "outbox_relay");
    toClose.add(role);
    role.grant(script);
    Run granted = doctor(asRole(role, kafka.bootstrapServers()));
    assertThat(granted.failed()).isEmpty();
    assertThat(granted.result("on waybill_outbox")).isEqualTo("ok");

    String grantee =
        db.kind() == TestDatabase.Kind.POSTGRES ? role.name() : "'" + role.name() + "'@'%'";
    role.admin(List.of("REVOKE DELETE ON waybill_outbox FROM " + grantee));
    Run revoked = doctor(asRole(role, kafka.bootstrapServers()));
    assertThat(revoked.exit()).isEqualTo(1);
    assertThat(revoked.result("on waybill_outbox")).isEqualTo("failed");
    assertThat(revoked.check("on waybill_outbox").get("detail").toString())
        .contains("lacks DELETE");
    assertThat(revoked.check("on waybill_outbox").get("fix").toString())
        .contains("GRANT DELETE ON waybill_outbox TO ");
    assertThat(revoked.result("on waybill_relay_lease")).isEqualTo("ok");
  }

  @Test
  void aMissingTopicFailsWhenTheBrokerDoesNotCreateTopicsAndWarnsWhenItDoes() throws Exception {
    postgres();
    migrate();
    String topic = "doctor-missing-" + hex(6);
    pending(topic);
    Run autoCreating = doctor(settings());
    assertThat(autoCreating.result("topic " + topic)).isEqualTo("warning");
    assertThat(autoCreating.exit()).isZero();

    InProcessKafka strict =
        InProcessKafka.launch(
            Path.of("target").toAbsolutePath(), Map.of("auto.create.topics.enable", "false"));
    toClose.add(strict);
    List<String> s = new ArrayList<>(db.settingsFlags());
    s.addAll(List.of("--set", "kafka.bootstrap.servers=" + strict.bootstrapServers()));
    Run run = doctor(s);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.result("topic " + topic)).isEqualTo("failed");
    assertThat(run.check("topic " + topic).get("fix").toString()).contains("kafka-topics.sh");
  }

  @Test
  void aTopicWhoseMinInsyncReplicasExceedsItsReplicationFactorFails() throws Exception {
    postgres();
    migrate();
    String topic = "doctor-isr-" + hex(6);
    kafka.createTopic(topic, 2, Map.of("min.insync.replicas", "2"));
    pending(topic);
    Run run = doctor(settings());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.result("min.insync.replicas " + topic)).isEqualTo("failed");
    assertThat(run.check("min.insync.replicas " + topic).get("detail").toString())
        .contains("min.insync.replicas=2, replication factor 1", "NotEnoughReplicas");
  }

  @Test
  void anUnreachableDatabaseFailsWithTheDriversCauseAndKafkaIsStillChecked() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run run =
        doctor(
            List.of(
                "--set",
                "db.url=jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                "--set",
                "db.user=postgres",
                "--set",
                "db.password=",
                "--set",
                "kafka.bootstrap.servers=" + kafka.bootstrapServers()));
    assertThat(run.exit()).isEqualTo(1);
    Map<String, Object> database = run.checks().get(0);
    assertThat(database.get("group")).isEqualTo("database");
    assertThat(database.get("result")).isEqualTo("failed");
    assertThat(database.get("detail").toString()).containsIgnoringCase("refused");
    assertThat(run.checks())
        .anySatisfy(
            c -> {
              assertThat(c.get("group")).isEqualTo("kafka");
              assertThat(c.get("result")).isEqualTo("ok");
            });
  }

  @Test
  void unreachableKafkaFailsNamingTheBrokers() throws Exception {
    postgres();
    migrate();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> s = new ArrayList<>(db.settingsFlags());
    s.addAll(List.of("--set", "kafka.bootstrap.servers=127.0.0.1:" + port));
    Run run = doctor(s);
    assertThat(run.exit()).isEqualTo(1);
    Map<String, Object> kafkaCheck =
        run.checks().stream()
            .filter(c -> "kafka".equals(c.get("group")) && "reachable".equals(c.get("check")))
            .findFirst()
            .orElseThrow();
    assertThat(kafkaCheck.get("result")).isEqualTo("failed");
    assertThat(kafkaCheck.get("detail").toString()).contains("127.0.0.1:" + port);
  }

  @Test
  void kafkaRefusingTheCredentialsFailsWithTheAuthenticationErrorAndNoPassword() throws Exception {
    postgres();
    migrate();
    SecuredKafka secured = SecuredKafka.get();
    String user = "doctor-" + hex(4);
    secured.createUser(user, "right-" + hex(4));
    List<String> s = new ArrayList<>(db.settingsFlags());
    String wrong = "wrong-" + hex(6);
    secured
        .clientSettings(user, wrong)
        .forEach((k, v) -> s.addAll(List.of("--set", "kafka." + k + "=" + v)));
    Run run = doctor(s);
    assertThat(run.exit()).isEqualTo(1);
    String text = run.json().toString();
    assertThat(text).contains("refused to authenticate user '" + user + "'").doesNotContain(wrong);
  }

  @Test
  void aPrincipalThatMayNotWriteToATopicOfPendingMessagesFails() throws Exception {
    postgres();
    migrate();
    SecuredKafka secured = SecuredKafka.get();
    String topic = "doctor-acl-" + hex(6);
    secured.createTopic(topic, 1);
    pending(topic);
    String user = "doctor-" + hex(4);
    String password = "pw-" + hex(6);
    secured.createUser(user, password);
    secured.allow(user, List.of(Grant.topic(topic, AclOperation.DESCRIBE)));
    List<String> s = new ArrayList<>(db.settingsFlags());
    secured
        .clientSettings(user, password)
        .forEach((k, v) -> s.addAll(List.of("--set", "kafka." + k + "=" + v)));
    Run run = doctor(s);
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.result("write " + topic)).isEqualTo("failed");

    secured.allow(user, List.of(Grant.topic(topic, AclOperation.WRITE)));
    assertThat(doctor(s).result("write " + topic)).isEqualTo("ok");
  }

  @Test
  void aServerWithoutLogicalWalLevelFailsTheCdcCheck() throws Exception {
    try (EmbeddedPostgres replica =
        EmbeddedPostgres.builder()
            .setServerConfig("wal_level", "replica")
            .setPGStartupWait(Duration.ofSeconds(60))
            .start()) {
      SchemaMigrator.builder().dataSource(replica.getPostgresDatabase()).build().migrate();
      Run run =
          doctor(
              List.of(
                  "--set", "db.url=" + replica.getJdbcUrl("postgres", "postgres"),
                  "--set", "db.user=postgres",
                  "--set", "db.password=",
                  "--set", "relay.mode=cdc",
                  "--set", "kafka.bootstrap.servers=" + kafka.bootstrapServers()));
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.result("wal_level")).isEqualTo("failed");
      assertThat(run.check("wal_level").get("detail").toString()).contains("'replica'");
    }
  }

  @Test
  void aMissingSlotAndPublicationFailWhenTheRelayMayNotCreateThemAndHeldWalWarns()
      throws Exception {
    postgres();
    migrate();
    String slot = "doctor_" + hex(6);
    List<String> cdc =
        settings(
            "relay.mode=cdc",
            "relay.cdc.slot=" + slot,
            "relay.cdc.publication=" + slot,
            "relay.cdc.create=false");
    Run missing = doctor(cdc);
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.result("wal_level")).isEqualTo("ok");
    assertThat(missing.result("REPLICATION")).isEqualTo("ok");
    assertThat(missing.result("slot " + slot)).isEqualTo("failed");
    assertThat(missing.result("publication " + slot)).isEqualTo("failed");

    try {
      sql(
          "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')",
          "CREATE PUBLICATION " + slot + " FOR TABLE waybill_outbox, waybill_outbox_dead_letter",
          "SELECT pg_logical_emit_message(true, 'doctor', repeat('x', 2000000))");
      Run held = doctor(cdc, "--slot-lag-warning", "1000000");
      assertThat(held.failed()).isEmpty();
      assertThat(held.result("slot " + slot)).isEqualTo("ok");
      assertThat(held.result("WAL held")).isEqualTo("warning");
      assertThat(held.check("WAL held").get("fix").toString()).contains("pg_drop_replication_slot");
      assertThat(doctor(cdc).result("WAL held")).isEqualTo("ok");
    } finally {
      sql("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  @Test
  void aCdcRoleWithoutReplicationFails() throws Exception {
    postgres();
    migrate();
    DatabaseRole role = DatabaseRole.create(db, "cdc_relay");
    toClose.add(role);
    role.admin(
        role.statements("db/waybill/grants/postgresql/cdc-relay.sql").stream()
            .filter(s -> !s.startsWith("ALTER ROLE"))
            .toList());
    Run run = doctor(asRole(role, kafka.bootstrapServers(), "relay.mode=cdc"));
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.result("REPLICATION")).isEqualTo("failed");
    assertThat(run.check("REPLICATION").get("fix").toString())
        .contains("ALTER ROLE " + role.name() + " REPLICATION");
    assertThat(run.result("on waybill_outbox")).isEqualTo("ok");
  }
}
