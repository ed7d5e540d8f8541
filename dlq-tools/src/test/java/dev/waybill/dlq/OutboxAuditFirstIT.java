package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.waybill.outbox.schema.SchemaMigrator;
import dev.waybill.testkit.TestDatabase;
import dev.waybill.testkit.TestDatabases;
import dev.waybill.testkit.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code outbox discard} and {@code outbox retry} with {@code --bootstrap-server} write their audit
 * entry before the database commits: with Kafka unreachable they fail, promptly and clearly, and
 * the dead-letter rows stay as they were.
 */
class OutboxAuditFirstIT {
  /** Nothing listens there: connections are refused. */
  static final String UNREACHABLE = "127.0.0.1:1";

  TestDatabase db;
  String state;

  @BeforeEach
  void deadLetters() throws SQLException {
    db = TestDatabases.postgres();
    SchemaMigrator.builder().dataSource(db.dataSource()).build().migrate();
    state = "dlq-state-" + UUID.randomUUID().toString().substring(0, 8);
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      for (int seq : new int[] {41, 42}) {
        st.executeUpdate(
            "INSERT INTO waybill_outbox_dead_letter (seq, id, topic, msg_key, event_type,"
                + " content_type, payload, created_at, attempts, error_class, error_message,"
                + " parks_key, relay_instance) VALUES ("
                + seq
                + ", gen_random_uuid(), 'orders', 'k"
                + seq
                + "', 'OrderPlaced', 'application/json', '\\x7b7d'::bytea, now(), 1,"
                + " 'org.apache.kafka.common.errors.RecordTooLargeException', 'too large', TRUE,"
                + " 'r1')");
      }
    }
  }

  @AfterEach
  void dropDatabase() {
    if (db != null) {
      db.close();
    }
  }

  DlqToolIT.Run outbox(String bootstrap, String... args) {
    List<String> all = new ArrayList<>(List.of("outbox"));
    all.addAll(List.of(args));
    all.addAll(db.settingsFlags());
    all.addAll(List.of("--bootstrap-server", bootstrap, "--state-topic", state));
    CompletableFuture<DlqToolIT.Run> run =
        CompletableFuture.supplyAsync(
            () -> {
              StringWriter out = new StringWriter();
              StringWriter err = new StringWriter();
              int exit =
                  DlqMain.execute(
                      new PrintWriter(out), new PrintWriter(err), all.toArray(String[]::new));
              return new DlqToolIT.Run(exit, out.toString(), err.toString());
            });
    // before the fix, an unreachable Kafka held the command for a minute (and the rows were gone)
    await().atMost(Duration.ofSeconds(45)).until(run::isDone);
    return run.join();
  }

  long deadLetterRows() throws SQLException {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM waybill_outbox_dead_letter")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void discardWithKafkaUnreachableFailsPromptlyAndLeavesTheRows() throws SQLException {
    DlqToolIT.Run d = outbox(UNREACHABLE, "discard", "41", "42");
    assertThat(d.exit()).isEqualTo(1);
    assertThat(d.err())
        .contains("Kafka did not answer within 15 s (" + UNREACHABLE + ")")
        .contains("nothing was changed");
    assertThat(d.out()).doesNotContain("discarded");
    assertThat(deadLetterRows()).isEqualTo(2);
    DlqToolIT.Run r = outbox(UNREACHABLE, "retry", "41");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(deadLetterRows()).isEqualTo(2);
  }

  @Test
  void discardWithKafkaReachableIsAuditedAndCommitted() throws SQLException {
    DlqToolIT.Run d = outbox(TestKafka.get().bootstrapServers(), "discard", "--topic", "orders");
    assertThat(d.exit()).as(d.err()).isZero();
    assertThat(d.out()).contains("discarded 2 dead letter(s) [41, 42]");
    assertThat(deadLetterRows()).isZero();
    StringWriter out = new StringWriter();
    int exit =
        DlqMain.execute(
            new PrintWriter(out),
            new PrintWriter(new StringWriter()),
            "audit",
            "--format",
            "json",
            "--bootstrap-server",
            TestKafka.get().bootstrapServers(),
            "--state-topic",
            state);
    assertThat(exit).isZero();
    JsonNode entry = new DlqToolIT.Run(exit, out.toString(), "").json().get(0);
    assertThat(entry.path("action").asText()).isEqualTo("outbox-discard");
    assertThat(entry.path("offsets").asText()).isEqualTo("seq:41-42");
    assertThat(entry.path("filter").asText()).isEqualTo("topic=orders");
  }
}
