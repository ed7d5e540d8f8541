package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.jdbc.DatabaseSettings;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.DatabaseRole;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who may make the CDC relay publish: a role without grants cannot inject a logical decoding
 * message in table mode; in message mode the relay warns while PUBLIC may emit; and the relay runs
 * as a role holding exactly {@code db/waybill/grants/postgresql/cdc-relay.sql}, failing clearly
 * without any one of its statements. Each test has its own database, so revoking a function from
 * PUBLIC there changes no other database. Roles and slots are dropped at the end.
 */
class CdcAuthorizationIT {
  static final String CDC_GRANTS = "db/waybill/grants/postgresql/cdc-relay.sql";
  static final String WRITER_GRANTS = "db/waybill/grants/postgresql/writer.sql";
  static final String MESSAGE_GRANTS = "db/waybill/grants/postgresql/writer-message.sql";
  static final String PUBLIC_WARNING = "REVOKE EXECUTE ON FUNCTION pg_logical_emit_message";

  TestDatabase db;
  String topic;
  String slotName;
  final List<AutoCloseable> open = new ArrayList<>();
  final Outbox messages =
      Outbox.builder()
          .config(OutboxConfig.builder().writeMode(OutboxConfig.WriteMode.MESSAGE).build())
          .build();

  @BeforeEach
  void setUp() {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "cdc-auth-" + UUID.randomUUID().toString().substring(0, 8);
    slotName = "wb_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    TestKafka.get().createTopic(topic, 1); // one partition: records arrive in WAL order
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
      open.clear();
      TestSlots.dropAndCheckNoneLeft(db, slotName, Duration.ofSeconds(20));
    } finally {
      db.close();
    }
  }

  DatabaseRole role(String placeholder) {
    DatabaseRole r = DatabaseRole.create(db, placeholder);
    open.add(r);
    return r;
  }

  LogLines logs() {
    LogLines l = LogLines.of("dev.waybill.relay");
    open.add(l);
    return l;
  }

  RelayConfig.Builder config(String instance, OutboxConfig.WriteMode mode) {
    return RelayConfig.builder()
        .mode(RelayConfig.RelayMode.CDC)
        .cdc(
            RelayConfig.CdcConfig.defaults()
                .withNames(slotName, "waybill_outbox")
                .withHeartbeat(Duration.ofMillis(300))
                .withStandbyInterval(Duration.ofMillis(200)))
        .database(DatabaseSettings.of(db.jdbcUrl(), db.user(), db.password()))
        .outbox(OutboxConfig.builder().writeMode(mode).build())
        .instanceId(instance)
        .bootstrapServers(TestKafka.get().bootstrapServers())
        .sendTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  Relay start(RelayConfig config, DataSource dataSource) {
    Relay r = Relay.builder().config(config).dataSource(dataSource).build();
    open.add(r::close);
    r.start();
    return r;
  }

  OutboxMessage msg(String key, String type) {
    return OutboxMessage.builder()
        .topic(topic)
        .key(key)
        .eventType(type)
        .jsonPayload("{\"key\":\"" + key + "\"}")
        .build();
  }

  void write(Outbox outbox, Connection c, OutboxMessage m) throws SQLException {
    c.setAutoCommit(false);
    outbox.write(c, m);
    c.commit();
  }

  /** What anyone who can connect could run: a valid message with the relay's prefix and an id. */
  static void emitForged(Connection c, String topic, String id) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(
            "SELECT pg_logical_emit_message(true, 'waybill_outbox', convert_to(?, 'UTF8'))")) {
      st.setString(
          1,
          "{\"v\":1,\"topic\":\""
              + topic
              + "\",\"key\":\"k\",\"type\":\"Forged\",\"id\":\""
              + id
              + "\"}\n{\"forged\":true}");
      st.executeQuery().close();
    }
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Publication and slot made beforehand by the tables' owner, as for relay.cdc.create=false. */
  void createPublicationAndSlot() throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(
          "CREATE PUBLICATION waybill_outbox FOR TABLE waybill_outbox, waybill_outbox_dead_letter"
              + " WITH (publish = 'insert, delete')");
      st.execute("SELECT pg_create_logical_replication_slot('" + slotName + "', 'pgoutput')");
    }
  }

  @Test
  void aRoleWithoutAnyGrantCannotPublishThroughACdcRelayInTableMode() throws Exception {
    DatabaseRole intruder = role("intruder");
    LogLines logs = logs();
    start(config("c1", OutboxConfig.WriteMode.TABLE).build(), db.dataSource());
    String forgedId = UUID.randomUUID().toString();
    try (Connection c = intruder.connect()) {
      emitForged(c, topic, forgedId); // PostgreSQL lets every role do this by default
    }
    try (Connection c = db.connect()) { // a real message, committed after the forged one
      write(Outbox.builder().build(), c, msg("k", "Real"));
    }
    List<Published.Rec> recs = Published.read(topic, 1, Duration.ofSeconds(30));
    assertThat(recs)
        .as("one partition, WAL order: a published forgery would come before the real message")
        .extracting(r -> r.headers().get("ce_type"))
        .containsExactly("Real");
    assertThat(recs).extracting(Published.Rec::id).doesNotContain(forgedId);
    assertThat(logs.atLeast(Level.WARN))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("ignored a logical decoding message with prefix 'waybill_outbox'")
                    .contains("outbox.write.mode=message"));
  }

  @Test
  void messageModeWarnsAtStartWhilePublicMayEmitAndNotOnceRevoked() throws Exception {
    LogLines logs = logs();
    Relay first = start(config("c1", OutboxConfig.WriteMode.MESSAGE).build(), db.dataSource());
    assertThat(logs.atLeast(Level.WARN))
        .anySatisfy(
            line ->
                assertThat(line)
                    .contains("PUBLIC may execute pg_logical_emit_message(boolean,text,bytea)")
                    .contains(PUBLIC_WARNING)
                    .contains("FROM PUBLIC"));
    first.close();
    DatabaseRole writer = role("app_writer");
    writer.grant(MESSAGE_GRANTS); // only in this test's database: function privileges are local
    DatabaseRole intruder = role("intruder");
    LogLines after = LogLines.of("dev.waybill.relay");
    open.add(after);
    start(config("c2", OutboxConfig.WriteMode.MESSAGE).build(), db.dataSource());
    assertThat(after.atLeast(Level.WARN)).noneMatch(line -> line.contains(PUBLIC_WARNING));
    try (Connection c = intruder.connect()) {
      assertThatThrownBy(() -> emitForged(c, topic, UUID.randomUUID().toString()))
          .hasMessageContaining("permission denied for function pg_logical_emit_message");
    }
    try (Connection c = writer.connect()) {
      write(messages, c, msg("k", "Emitted"));
    }
    assertThat(Published.read(topic, 1, Duration.ofSeconds(30)))
        .extracting(r -> r.headers().get("ce_type"))
        .containsExactly("Emitted");
  }

  @Test
  void theCdcRelayStreamsWithExactlyTheDocumentedGrants() throws Exception {
    createPublicationAndSlot();
    DatabaseRole writer = role("app_writer");
    writer.grant(WRITER_GRANTS);
    writer.grant(MESSAGE_GRANTS);
    DatabaseRole relay = role("cdc_relay");
    relay.grant(CDC_GRANTS);
    LogLines logs = logs();
    start(asRole(relay, OutboxConfig.WriteMode.MESSAGE), relay.dataSource());
    try (Connection c = writer.connect()) {
      write(Outbox.builder().build(), c, msg("k", "Row"));
      write(messages, c, msg("k", "Emitted"));
      write(
          Outbox.builder().build(),
          c,
          OutboxMessage.builder() // too large for the producer: dead-lettered
              .topic(topic)
              .key("big")
              .eventType("Huge")
              .payload(Payload.text("x".repeat(6000)))
              .build());
    }
    assertThat(Published.read(topic, 2, Duration.ofSeconds(30)))
        .as("in order; the dead letter's failed send may repeat them (at least once)")
        .extracting(r -> r.headers().get("ce_type"))
        .startsWith("Row", "Emitted")
        .containsOnly("Row", "Emitted");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                count("SELECT COUNT(*) FROM waybill_outbox") == 0
                    && count("SELECT COUNT(*) FROM waybill_outbox_dead_letter") == 1);
    assertThat(logs.atLeast(Level.WARN))
        .noneMatch(
            line ->
                line.toLowerCase(Locale.ROOT).contains("denied")
                    || line.contains("pg_logical_emit_message"));
  }

  @Test
  void withoutAnyOneOfItsGrantsTheCdcRelayFailsNamingWhatIsMissing() throws Exception {
    createPublicationAndSlot();
    DatabaseRole writer = role("app_writer");
    writer.grant(WRITER_GRANTS);
    writer.grant(MESSAGE_GRANTS); // PUBLIC may no longer emit: the relay needs its own grant
    DatabaseRole probe = DatabaseRole.create(db, "cdc_relay");
    List<String> all = probe.statements(CDC_GRANTS);
    probe.close();
    for (int left = 0; left < all.size(); left++) {
      DatabaseRole relay = DatabaseRole.create(db, "cdc_relay");
      List<String> granted = new ArrayList<>(relay.statements(CDC_GRANTS));
      String missing = granted.remove(left);
      relay.admin(granted);
      String object =
          missing.startsWith("ALTER ROLE")
              ? "REPLICATION"
              : missing.replaceAll("(?s).* ON (FUNCTION )?(\\w+).*", "$2");
      try (Connection c = writer.connect()) {
        write(Outbox.builder().build(), c, msg("k", "Row"));
      }
      Relay r =
          Relay.builder()
              .config(asRole(relay, OutboxConfig.WriteMode.TABLE))
              .dataSource(relay.dataSource())
              .build();
      String failure = StartFailure.of(r, line -> names(line, object), missing);
      assertThat(names(failure, object)).as("without: %s: %s", missing, failure).isTrue();
      relay.close();
      try (Connection c = db.connect();
          Statement st = c.createStatement()) {
        st.execute("DELETE FROM waybill_outbox");
      }
    }
  }

  /** Whether a failure names what is missing: the table it may not use, or the privilege. */
  static boolean names(String failure, String object) {
    return object.startsWith("waybill_")
        ? failure.matches("(?s).*denied for table " + object + "\\b.*")
        : failure.contains(object);
  }

  RelayConfig asRole(DatabaseRole role, OutboxConfig.WriteMode mode) {
    return config(role.name(), mode)
        .cdc(
            RelayConfig.CdcConfig.defaults()
                .withNames(slotName, "waybill_outbox")
                .withHeartbeat(Duration.ofMillis(300))
                .withStandbyInterval(Duration.ofMillis(200))
                .withCreate(false))
        .database(DatabaseSettings.of(role.jdbcUrl(), role.name(), role.password()))
        .kafka("max.request.size", "4096")
        .build();
  }
}
