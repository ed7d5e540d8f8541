package dev.waybill.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxMessage;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.DatabaseRole;
import dev.waybill.testkit.LogLines;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestKafka;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The writer and the polling relay run as roles that hold exactly the statements of the shipped
 * grants scripts ({@code db/waybill/grants/<dialect>/writer.sql}, {@code relay.sql}), which
 * docs/security.md quotes; and without any one of the relay's statements it fails naming the table.
 */
abstract class RelayGrantsContract {
  TestDatabase db;
  String topic;
  final List<AutoCloseable> open = new ArrayList<>();

  abstract TestDatabase newDatabase();

  abstract String dialectFolder();

  String script(String name) {
    return "db/waybill/grants/" + dialectFolder() + "/" + name;
  }

  @BeforeEach
  void setUp() {
    db = newDatabase();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    topic = "grants-" + UUID.randomUUID().toString().substring(0, 8);
    TestKafka.get().createTopic(topic, 3);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    open.clear();
    if (db != null) {
      db.close();
    }
  }

  DatabaseRole role(String placeholder) {
    DatabaseRole r = DatabaseRole.create(db, placeholder);
    open.add(r);
    return r;
  }

  RelayConfig config(String instance) {
    return RelayConfig.builder()
        .instanceId(instance)
        .bootstrapServers(TestKafka.get().bootstrapServers())
        .shards(4)
        .pollInterval(Duration.ofMillis(100))
        .lease(Duration.ofSeconds(6), Duration.ofMillis(500))
        .sendTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .kafka("max.request.size", "4096")
        .build();
  }

  Relay relayAs(DatabaseRole role, String instance) {
    Relay r = Relay.builder().config(config(instance)).dataSource(role.dataSource()).build();
    open.add(r::close);
    return r;
  }

  /** Two messages of key good and one too large for the producer (dead-lettered, key parked). */
  List<OutboxMessage> writeAs(DatabaseRole writer) throws SQLException {
    List<OutboxMessage> ms =
        List.of(
            RelayContract.msg(topic, "good", 1),
            OutboxMessage.builder()
                .topic(topic)
                .key("bad")
                .eventType("Huge")
                .payload(Payload.text("x".repeat(6000)))
                .build(),
            RelayContract.msg(topic, "good", 2));
    try (Connection c = writer.connect()) {
      c.setAutoCommit(false);
      Outbox.builder().build().writeAll(c, ms);
      c.commit();
    }
    return ms;
  }

  long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  String status(DatabaseRole role) {
    return RelayContract.statusJson(role.jdbcUrl(), role.name(), role.password(), 4);
  }

  @Test
  final void theWriterAndThePollingRelayWorkWithExactlyTheDocumentedGrants() throws Exception {
    DatabaseRole writer = role("app_writer");
    writer.grant(script("writer.sql"));
    DatabaseRole relay = role("outbox_relay");
    relay.grant(script("relay.sql"));
    writeAs(writer);
    LogLines logs = LogLines.of("dev.waybill.relay");
    open.add(logs);
    Relay r = relayAs(relay, "g1");
    r.start();
    assertThat(Published.read(topic, 2, Duration.ofSeconds(30)))
        .extracting(Published.Rec::key)
        .containsExactly("good", "good");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                count("SELECT COUNT(*) FROM waybill_outbox_dead_letter WHERE parks_key = TRUE") == 1
                    && count("SELECT COUNT(*) FROM waybill_outbox") == 0);
    assertThat(status(relay)).contains("\"deadLetters\":1").contains("\"owner\":\"g1\"");
    r.close();
    assertThat(logs.atLeast(Level.WARN))
        .as("no privilege problem on the way")
        .noneMatch(line -> line.toLowerCase(Locale.ROOT).contains("denied"));
  }

  @Test
  final void withoutAnyOneOfItsGrantsThePollingRelayFailsNamingTheTable() throws Exception {
    DatabaseRole writer = role("app_writer");
    writer.grant(script("writer.sql"));
    DatabaseRole probe = role("outbox_relay");
    List<String> all = probe.statements(script("relay.sql"));
    probe.close();
    assertThat(all).isNotEmpty();
    for (int left = 0; left < all.size(); left++) {
      DatabaseRole relay = role("outbox_relay");
      List<String> granted = new ArrayList<>(relay.statements(script("relay.sql")));
      String missing = granted.remove(left);
      relay.admin(granted);
      String table = missing.replaceAll("(?s).* ON (\\w+) TO .*", "$1");
      writeAs(writer);
      String failure =
          StartFailure.of(
              relayAs(relay, "m" + left),
              line -> line.contains(table) && line.toLowerCase(Locale.ROOT).contains("denied"),
              missing);
      assertThat(failure).as("without: %s", missing).contains(table).containsIgnoringCase("denied");
      relay.close();
      try (Connection c = db.connect();
          Statement st = c.createStatement()) { // the next round starts from an empty outbox
        st.execute("DELETE FROM waybill_outbox");
        st.execute("DELETE FROM waybill_outbox_dead_letter");
        st.execute("DELETE FROM waybill_relay_lease");
        st.execute("DELETE FROM waybill_relay_instance");
      }
    }
  }
}
